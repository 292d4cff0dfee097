"""Models of 考核 (assessment), one module per subdomain."""

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
