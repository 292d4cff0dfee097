"""What verification records besides closing the event: whether the problem was solved
(``Event.resolution``: 已解决 / 未解决已答复), which the 解决率 counts (solved / closed).

Required by the move that closes an event after verification (``verify_pass``), refused on
any other move; cleared when the event is reopened."""

from __future__ import annotations

from dangjian.cases.models import Resolution
from dangjian.core.workflow import Action

RESOLUTION_REQUIRED = "请选择解决情况：solved（已解决）或answered（未解决已答复）"


def clean_resolution(errors, move: Action, value) -> str:
    """The resolution given with ``move``, or a field error in ``errors`` (422)."""
    value = str(value or "").strip()
    if "resolution" in move.needs:
        if value not in Resolution.values:
            errors.add("resolution", RESOLUTION_REQUIRED)
            return ""
        return value
    if value:
        errors.add("resolution", f"“{move.label}”不需要填写解决情况")
    return ""
