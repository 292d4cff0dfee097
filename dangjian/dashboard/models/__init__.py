"""Models of 全市一张图 (see DESIGN.md Layout): one module per subdomain."""

from dangjian.dashboard.models.rollups import ArrearsRow, BranchCompliance, RefreshMark, Rollup

__all__ = ["ArrearsRow", "BranchCompliance", "RefreshMark", "Rollup"]
