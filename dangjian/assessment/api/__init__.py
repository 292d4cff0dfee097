"""/api/v1/assessment/: one router including each subdomain's (star rating, secretary projects,
weak organizations, member warnings)."""

from ninja import Router

from dangjian.assessment.api import evidence, projects, rating, warnings, weak

router = Router(tags=["考核"])
router.add_router("", rating.router)
router.add_router("", projects.router)
router.add_router("", weak.router)
router.add_router("", warnings.router)
router.add_router("", evidence.router)
