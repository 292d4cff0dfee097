"""Models of 积分 (see DESIGN.md Layout)."""
