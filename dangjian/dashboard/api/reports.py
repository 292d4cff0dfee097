"""Statistical reports under /api/v1/reports/ (filled in below)."""

from ninja import Router

router = Router(tags=["统计报表"])
