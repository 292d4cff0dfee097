"""/api/v1/assessment/: one router for the module's routes."""

from ninja import Router

from dangjian.assessment.api import warnings, weak

router = Router(tags=["考核"])
router.add_router("", weak.router)
router.add_router("", warnings.router)
