"""Mobile page of member development (/m/development/): the applicant and the applicant's
contacts (培养联系人) see where the record stands, the next step and the first date it may be
taken on, and its deadline."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dangjian.development import selectors
from dangjian.development import steps as S
from dangjian.development.models import ApplicantStatus, PersonRole, ResponsiblePerson, Stage
from dangjian.web.decorators import console_view


@console_view
@require_GET
def progress(request):
    user = request.user
    today = timezone.localdate()
    rows = list(selectors.portal_applicants(user)[:50])
    for a in rows:
        a.move = selectors.next_move(a, today)
        a.stage_label = Stage(a.stage).label
        a.status_label = ApplicantStatus(a.status).label
        a.step_label = S.STEPS[a.step].label if a.step else "尚未办理"
        a.mine = a.user_id == user.pk
        a.done = round(a.step * 100 / S.LAST_STEP)
    names: dict[int, list[str]] = {}
    for p in (
        ResponsiblePerson.objects.filter(
            applicant_id__in=[a.pk for a in rows], role=PersonRole.CONTACT
        )
        .only("applicant_id", "name")
        .order_by("id")
    ):
        names.setdefault(p.applicant_id, []).append(p.name)
    for a in rows:
        a.contact_names = names.get(a.pk, [])
    return render(request, "portal/development/progress.html", {"rows": rows, "today": today})
