"""What inspectors see: flagged-listing queries rendered safely as tables, JSON and CSV."""
