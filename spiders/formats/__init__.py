"""Pure extraction functions, one module per platform format (tested on saved responses)."""
