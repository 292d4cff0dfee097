"""Models of 考核 (see DESIGN.md Layout), one module per subdomain."""

from dangjian.assessment.models.warnings import *  # noqa: F403
from dangjian.assessment.models.weak import *  # noqa: F403
