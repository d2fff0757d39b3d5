"""Renderers of the demo listings into each platform's real response formats."""
