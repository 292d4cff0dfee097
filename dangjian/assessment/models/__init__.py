"""Models of 考核 (see DESIGN.md Layout), one module per subdomain."""

from dangjian.assessment.models.projects import (  # noqa: F401
    ProjectMilestone,
    ProjectState,
    Review,
    ReviewKind,
    SecretaryProject,
)
from dangjian.assessment.models.rating import (  # noqa: F401
    Indicator,
    IndicatorKind,
    ManualScore,
    Objection,
    ObjectionState,
    Rating,
    RatingLine,
    RatingState,
    Scheme,
    Sector,
)
from dangjian.assessment.models.warnings import *  # noqa: F403
from dangjian.assessment.models.weak import *  # noqa: F403
