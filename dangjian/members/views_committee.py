"""The console page of an organization's committee as elected: the current term and its seats,
past terms, and a form recording a newly elected committee (``committee_record``; its Chinese
messages shown on the form). A fuller administration screen is planned separately."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.core import scope, tree
from dangjian.core.errors import Conflict
from dangjian.members import committee_selectors, committee_services
from dangjian.members.models import Member, Status
from dangjian.members.models.committee import CommitteePost
from dangjian.members.views import _pk, _render
from dangjian.organizations.models import PartyOrg
from dangjian.web.decorators import console_view

ROWS = 7


def _rows(post) -> list[dict]:
    rows = []
    for i in range(ROWS):
        rows.append(
            {
                "i": i,
                "member_id": (post.get(f"member_{i}") or "").strip() if post else "",
                "post": (post.get(f"post_{i}") or "")
                if post
                else ("secretary" if i == 0 else "member"),
                "full_time": bool(post.get(f"full_time_{i}")) if post else False,
            }
        )
    return rows


@console_view
@require_http_methods(["GET", "POST"])
def committee_page(request, org_id: int):
    user = request.user
    org = scope.get_visible(
        PartyOrg.objects.defer("contact_phone"), user, committee_services.VIEW, pk=_pk(org_id)
    )
    may_record = (
        PartyOrg.objects.visible_to(user, committee_services.MANAGE).filter(pk=org.pk).exists()
    )
    post = request.POST if request.method == "POST" else None
    errors: dict[str, list[str]] = {}
    if post is not None:
        if not may_record:
            raise scope.Forbidden("您没有登记该党组织委员会的权限")
        seats = [
            {"member_id": r["member_id"], "post": r["post"], "full_time": r["full_time"]}
            for r in _rows(post)
            if r["member_id"]
        ]
        try:
            recorded = committee_services.committee_record(
                actor=user,
                org=org,
                term_start=post.get("term_start", "").strip(),
                elected_on=post.get("elected_on", "").strip() or None,
                seats=seats,
            )
        except ValidationError as exc:
            errors = exc.message_dict
        except Conflict as exc:
            errors = {"term_start": [exc.message]}
        else:
            messages.success(request, f"已登记{org.name}新一届委员会")
            for w in recorded.warnings:
                messages.warning(request, w)
            return redirect("console:members:committee", org.pk)
    candidates = list(
        Member.objects.filter(
            tree.subtree_q("org_path", org.path), status=Status.FULL, left_on__isnull=True
        )
        .only("id", "name")
        .order_by("name", "id")[:300]
    )
    committees = committee_selectors.committees_of(user, org)
    today = timezone.localdate()
    current = next((c for c in committees if c.status == "current"), None)
    return _render(
        request,
        "members/committee.html",
        {
            "org": org,
            "committees": committees,
            "may_record": may_record,
            "candidates": candidates,
            "posts": CommitteePost.choices,
            "rows": _rows(post),
            "term_start": (post or {}).get("term_start", ""),
            "elected_on": (post or {}).get("elected_on", ""),
            "errors": errors,
            "term_years": committee_services.term_years(org),
            "full_members": committee_services.full_member_count(org),
            "term_source": committee_services.term_source(org),
            "current": current,
            "due": committee_selectors.due_of(current, today) if current else None,
            "vacancy": committee_selectors.secretary_vacancy(org, today),
            "today": today,
        },
        status=422 if errors else 200,
    )
