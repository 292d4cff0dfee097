"""Mobile pages of organizational life (/m/orglife/): a member's upcoming sessions, each
session's page (its agenda and materials, and asking for leave), the check-in page a
session's QR code opens, and the member's own attendance."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.orglife import compliance, selectors, services
from dangjian.orglife.models import AttendanceStatus, SessionState
from dangjian.web.decorators import console_view


@console_view
def upcoming(request):
    sessions = list(selectors.my_sessions(request.user, upcoming=True)[:30])
    return render(
        request,
        "portal/orglife/upcoming.html",
        {"sessions": sessions, "has_file": selectors.my_member(request.user) is not None},
    )


@console_view
@require_http_methods(["GET", "POST"])
def session(request, session_id: int):
    """One session on the phone (issue 18): what it is about (topic, type, the plan item and
    the base's activity it carries out), when and where, who hosts and records it, the joint
    organizations, its materials; and, for a member on its roster before it starts, a leave
    request with the reason (``services.attendance_leave_request``)."""
    from django.core.exceptions import ValidationError

    from dangjian.core.ids import id_or_none

    pk = id_or_none(session_id)
    if pk is None:
        raise Http404("组织生活不存在")
    s = selectors.session_get(request.user, pk)
    member = selectors.my_member(request.user)
    row = s.attendances.filter(member=member).first() if member is not None else None
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.attendance_leave_request(
                actor=request.user, session=s, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            errors = exc.messages
        except (Conflict, scope.Forbidden) as exc:
            errors = [exc.message]
        else:
            messages.success(request, "已提交请假，待记录人批准")
            return redirect("portal:orglife:session", s.pk)
    can_leave = (
        row is not None
        and s.state == SessionState.SCHEDULED
        and timezone.now() < s.starts_at
        and row.status != AttendanceStatus.PRESENT
    )
    return render(
        request,
        "portal/orglife/session.html",
        {
            "s": s,
            "row": row,
            "can_leave": can_leave,
            "errors": errors,
            "joint": list(s.joint_orgs.order_by("path").only("name")),
            "materials": list(s.photos.order_by("id").only("name", "size")),
            "plan_item": s.plan_item.topic if s.plan_item_id else "",
        },
        status=400 if errors else 200,
    )


@console_view
def attendance(request):
    qs = selectors.my_attendance(request.user)
    rows = list(qs[:100])
    # A session that could not validly sit (quorum) is not counted in the rate.
    held = [
        a for a in rows if a.session.state == SessionState.HELD and a.session.quorum_ok is not False
    ]
    counted = [a for a in held if not (a.status == AttendanceStatus.LEAVE and a.leave_approved)]
    present = sum(1 for a in held if a.status == AttendanceStatus.PRESENT)
    return render(
        request,
        "portal/orglife/attendance.html",
        {"rows": rows, "rate": compliance._rate(present, len(counted)), "held": len(held)},
    )


@console_view
@require_http_methods(["GET", "POST"])
def checkin(request, token: str):
    """The page a session's QR code opens: what the session is, and one button to check in.
    Refusals (not of the organization nor invited, twice, outside the window) say why."""
    session = services.session_for_token(token)
    if session is None:
        raise Http404("签到二维码无效或已更新")
    row = None
    if request.method == "POST":
        try:
            row = services.session_checkin(actor=request.user, session=session, token=token)
            messages.success(request, "签到成功")
            return redirect("portal:orglife:checkin", token)
        except (Conflict, scope.Forbidden) as exc:
            messages.error(request, exc.message)
    member = selectors.my_member(request.user)
    if member is not None:
        row = session.attendances.filter(member=member).first()
    opens, closes = services.checkin_window(session)
    return render(
        request,
        "portal/orglife/checkin.html",
        {"s": session, "row": row, "opens": opens, "closes": closes},
    )


@console_view
@require_http_methods(["GET", "POST"])
def rate(request, session_id: int):
    """会后评价: a member who attended a held session rates its effect (1 to 5), once."""
    from django.core.exceptions import ValidationError

    from dangjian.core.ids import id_or_none
    from dangjian.orglife import feedback

    pk = id_or_none(session_id)
    session = selectors.my_sessions(request.user).filter(pk=pk).first() if pk else None
    if session is None:
        raise Http404("组织生活不存在")
    errors: list[str] = []
    if request.method == "POST":
        raw = request.POST.get("score", "")
        score = int(raw) if raw.isdigit() else 0
        try:
            feedback.rating_submit(
                actor=request.user,
                session=session,
                score=score,
                comment=request.POST.get("comment", ""),
            )
        except ValidationError as exc:
            errors = exc.messages
        except (Conflict, scope.Forbidden) as exc:
            errors = [exc.message]
        else:
            messages.success(request, "感谢您的评价")
            return redirect("portal:todos")
    return render(
        request,
        "portal/orglife/rate.html",
        {"s": session, "errors": errors, "scores": [5, 4, 3, 2, 1]},
    )
