"""Assessment under /api/v1/assessment/: one router including each subdomain's."""

from ninja import Router

from dangjian.assessment.api import projects, rating

router = Router(tags=["考核"])
router.add_router("", rating.router)
router.add_router("", projects.router)
