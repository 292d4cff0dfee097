"""The demo's approvals follow the rule: a township applicant is approved by the township
党委; no village or community 党委 and no unauthorized 党工委 approves."""

from __future__ import annotations

import pytest

from dangjian.core import tree
from dangjian.demo.generator import seed
from dangjian.development.approvers import approver_refusal
from dangjian.development.models import ApplicantStep
from dangjian.organizations.models import OrgKind
from dangjian.territory.models import Area, AreaKind

pytestmark = pytest.mark.django_db


def test_demo_township_applicants_approved_by_their_township(db):
    seed("small", progress=False)
    rows = list(
        ApplicantStep.objects.filter(number__in=(17, 24), approving_org__isnull=False)
        .select_related("approving_org__area", "applicant__org")
        .order_by("pk")
    )
    assert rows
    township_rows = 0
    for row in rows:
        approver = row.approving_org
        assert approver_refusal(approver) == "", approver.name
        assert row.applicant.org.path.startswith(approver.path)
        if approver.area.kind == AreaKind.TOWNSHIP:
            township_rows += 1
            assert approver.kind == OrgKind.COMMITTEE
            assert approver.domain == "village"
    # every applicant under a township is approved there, not by the county
    townships = set(Area.objects.filter(kind=AreaKind.TOWNSHIP).values_list("path", flat=True))
    under_township = [
        r for r in rows if townships & set(tree.ancestors_of(r.applicant.org.area_path))
    ]
    assert under_township
    assert len(under_township) == township_rows
