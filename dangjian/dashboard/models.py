"""Models of 全市一张图 (see DESIGN.md Layout)."""
