"""Evidence files of the judgements made by hand: a hand-scored indicator (``ManualScore``) and
a manually found weak-organization situation (``Flag`` with ``manual``). Each file is checked by
its content (images or PDF, at most the upload cap, ``core.files``), stored encrypted at rest and
attached to its row; served only to those who see the row. Whoever may make the judgement (county
staff, ``assessment.manage`` over the organization) attaches its evidence; audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.assessment.models import Flag, ManualScore
from dangjian.core import audit, files, scope
from dangjian.core.conf import setting
from dangjian.core.errors import Conflict

VIEW = "assessment.view"
MANAGE = "assessment.manage"
KINDS = ("image", "pdf")
DEFAULT_MAX_FILES = 10


def max_files() -> int:
    return int(setting("ASSESS_EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES))


def _attach(actor, row, upload, action: str):
    limit = max_files()
    if row.evidence_files.count() >= limit:
        raise ValidationError({"file": [f"每项最多上传{limit}个佐证附件"]})
    stored = files.file_store(actor=actor, upload=upload, kinds=KINDS, field="file")
    row.evidence_files.add(stored)
    audit.record(
        actor=actor,
        action=action,
        obj=row,
        after={"file": stored.pk, "name": stored.name, "size": stored.size},
    )
    return stored


@transaction.atomic
def score_evidence_add(*, actor, score: ManualScore, upload):
    """A file of evidence for a hand score (an image or a PDF)."""
    score = scope.get_visible(ManualScore, actor, MANAGE, view_action=VIEW, pk=score.pk)
    score = ManualScore.objects.select_for_update().get(pk=score.pk)
    return _attach(actor, score, upload, "assessment.score_evidence")


@transaction.atomic
def flag_evidence_add(*, actor, flag: Flag, upload):
    """A file of evidence for a situation found by hand; a rule's flag carries its figures
    and the list behind them instead (409)."""
    flag = scope.get_visible(Flag, actor, MANAGE, view_action=VIEW, pk=flag.pk)
    flag = Flag.objects.select_for_update().get(pk=flag.pk)
    if not flag.manual:
        raise Conflict("按规则认定的情形以数据清单为证据，不能上传附件")
    return _attach(actor, flag, upload, "assessment.flag_evidence")
