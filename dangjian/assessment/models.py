"""Models of 考核 (see DESIGN.md Layout)."""
