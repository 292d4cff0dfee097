"""Models of 时间银行 (see DESIGN.md Layout)."""
