"""Two-colour member warnings (双色预警): the rules, each with its thresholds (settings in
``thresholds``), its reason and what clears it, and the computation that raises, escalates
and clears the rows. A warning clears itself when its cause is gone; the cleared row stays
as history. The member is notified when a warning is raised or turns red (idempotent keys).

Rules (yellow / red):

- ``orglife_missed``: held sessions of the last 12 months the member was marked absent from
  without approved leave: ``WARN_ORGLIFE_YELLOW`` / ``WARN_ORGLIFE_RED`` or more;
- ``dues_arrears``: unpaid months in a row: ``WARN_DUES_YELLOW`` (3) / ``WARN_DUES_RED`` (6);
- ``mobile_no_report``: a mobile member with no report home for ``WARN_MOBILE_REPORT_MONTHS``
  (yellow), or out of contact for ``WARN_MOBILE_CONTACT_MONTHS`` (red);
- ``no_checkin_service``: an in-service member who has not reported to their community
  (双报到) or has recorded no service there for ``WARN_CHECKIN_SERVICE_MONTHS`` (yellow).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone

from dangjian.assessment import inputs, thresholds
from dangjian.assessment.models import MemberWarning, WarningColour, WarningRule
from dangjian.assessment.rules import day_range
from dangjian.core import audit, bulk, notify
from dangjian.core.months import add_months
from dangjian.members.models import Category, Member, Status
from dangjian.members.models.checkin import CheckinService, CommunityCheckin
from dangjian.members.models.mobile import MobileRegistration
from dangjian.orglife.models import Attendance, AttendanceStatus, SessionState

ACTIVE = (Status.FULL, Status.PROBATIONARY)
Y, R = WarningColour.YELLOW, WarningColour.RED


@dataclass
class Cause:
    member_id: int
    rule: str
    colour: str
    reason: str
    clears_when: str
    figure: str


def _orglife(values, today: dt.date, members) -> list[Cause]:
    yellow, red = int(values["WARN_ORGLIFE_YELLOW"]), int(values["WARN_ORGLIFE_RED"])
    since = add_months(today, -12)
    out = []
    for member_id, n in (
        Attendance.objects.filter(
            member__in=members,
            status=AttendanceStatus.ABSENT,
            leave_approved=False,
            session__state=SessionState.HELD,
        )
        .filter(day_range("session__starts_at", since + dt.timedelta(days=1), today))
        .values("member_id")
        .annotate(n=Count("pk"))
        .values_list("member_id", "n")
    ):
        if n >= yellow:
            out.append(
                Cause(
                    member_id,
                    WarningRule.ORGLIFE_MISSED,
                    R if n >= red else Y,
                    f"近12个月无故缺席组织生活{n}次",
                    f"近12个月无故缺席少于{yellow}次（按时参加组织生活，缺席须请假）",
                    f"{n}次",
                )
            )
    return out


def _dues(values, today: dt.date, members) -> list[Cause]:
    yellow, red = int(values["WARN_DUES_YELLOW"]), int(values["WARN_DUES_RED"])
    out = []
    among = set(members.values_list("pk", flat=True))
    # Every member's statuses (``inputs``: read once per recomputation), narrowed to ``members``.
    for member_id, st in inputs.dues_statuses(today).items():
        n = len(st.streak)
        if st.has_profile and n >= yellow and member_id in among:
            out.append(
                Cause(
                    member_id,
                    WarningRule.DUES_ARREARS,
                    R if n >= red else Y,
                    f"连续{n}个月未交党费（{st.streak[0]:%Y-%m}起）",
                    "补交欠缴月份的党费",
                    f"{n}个月",
                )
            )
    return out


def _mobile(values, today: dt.date, members) -> list[Cause]:
    report_since = add_months(today, -int(values["WARN_MOBILE_REPORT_MONTHS"]))
    contact_since = add_months(today, -int(values["WARN_MOBILE_CONTACT_MONTHS"]))
    out = []
    for member_id, left_on, last_report, last_contact in MobileRegistration.objects.filter(
        member__in=members, active=True
    ).values_list("member_id", "left_on", "last_report_on", "last_contact_on"):
        if last_contact < contact_since:
            out.append(
                Cause(
                    member_id,
                    WarningRule.MOBILE_NO_REPORT,
                    R,
                    f"流动期间自{last_contact.isoformat()}起与党组织失去联系",
                    "与流出地党组织恢复联系并登记",
                    last_contact.isoformat(),
                )
            )
        elif (last_report or left_on) < report_since:
            out.append(
                Cause(
                    member_id,
                    WarningRule.MOBILE_NO_REPORT,
                    Y,
                    f"最近一次向党组织报告：{last_report.isoformat() if last_report else '无'}",
                    "向流出地党组织报告思想、工作和学习情况（每年至少一次）",
                    (last_report or left_on).isoformat(),
                )
            )
    return out


def _checkin(values, today: dt.date, members) -> list[Cause]:
    since = add_months(today, -int(values["WARN_CHECKIN_SERVICE_MONTHS"]))
    in_service = set(
        members.filter(category_rows__code=Category.IN_SERVICE).values_list("pk", flat=True)
    )
    if not in_service:
        return []
    reported = set(
        CommunityCheckin.objects.filter(member_id__in=in_service).values_list(
            "member_id", flat=True
        )
    )
    served = dict(
        CheckinService.objects.filter(checkin__member_id__in=in_service)
        .values("checkin__member_id")
        .annotate(last=Max("served_on"))
        .values_list("checkin__member_id", "last")
    )
    out = []
    for pk in sorted(in_service):
        if pk not in reported:
            reason = "在职党员尚未到居住地社区报到"
        elif served.get(pk) is None or served[pk] < since:
            last = served.get(pk)
            reason = f"最近一次到社区服务：{last.isoformat() if last else '无'}"
        else:
            continue
        out.append(
            Cause(
                pk,
                WarningRule.NO_CHECKIN_SERVICE,
                Y,
                reason,
                "到居住地社区报到并参加志愿服务（由社区登记）",
                "",
            )
        )
    return out


RULES = (_orglife, _dues, _mobile, _checkin)


def warnings_recompute(*, year: int | None = None, actor=None, today: dt.date | None = None):
    """Raise, escalate and clear the warnings of every active member on ``today`` (the year
    only names the run: warnings are about now). Running it twice changes nothing."""
    today = today or timezone.localdate()
    values = thresholds.snapshot()
    members = Member.objects.filter(status__in=ACTIVE, left_on__isnull=True)
    causes: dict[tuple[int, str], Cause] = {}
    for rule in RULES:
        for c in rule(values, today, members):
            causes[(c.member_id, str(c.rule))] = c
    escalated: list[MemberWarning] = []
    with transaction.atomic():
        # The active rows as tuples (a city holds tens of thousands); rows only for those that
        # change.
        rows = (
            MemberWarning.objects.select_for_update()
            .filter(active=True)
            .values_list("member_id", "rule", "pk", "colour", "reason", "figure")
        )
        active = {(row[0], row[1]): row[2:] for row in rows}
        cleared = [w[0] for k, w in active.items() if k not in causes]
        MemberWarning.objects.filter(pk__in=cleared).update(
            active=False, cleared_on=today, updated_at=timezone.now()
        )
        new = {c.member_id for key, c in causes.items() if key not in active}
        info = {
            pk: (name, org_id, path, user_id)
            for pk, name, org_id, path, user_id in bulk.values_in(
                Member, "id", sorted(new), ("id", "name", "org", "org_path", "user")
            )
        }
        changed = {
            w[0]: c
            for key, c in causes.items()
            if (w := active.get(key)) is not None
            and (w[1], w[2], w[3]) != (c.colour, c.reason[:300], c.figure[:64])
        }
        # New rows as plain multi-row inserts (``core.bulk``): a first run raises tens of
        # thousands, and a model instance per row cost more than the rules.
        convert = bulk.adapter(MemberWarning)
        raised_on, updated_at = convert(today), convert(timezone.now())
        new_rows = []
        for key, c in causes.items():
            if key not in active:
                name, org_id, path, user_id = info[c.member_id]
                new_rows.append(
                    (
                        c.member_id,
                        name,
                        org_id,
                        path,
                        user_id,
                        str(c.rule),
                        str(c.colour),
                        c.reason[:300],
                        c.clears_when[:300],
                        c.figure[:64],
                        True,
                        raised_on,
                        updated_at,
                    )
                )
        for w in MemberWarning.objects.filter(pk__in=list(changed)).order_by("pk"):
            c = changed[w.pk]
            if w.colour == Y and c.colour == R:
                w.escalated_on = today
                escalated.append(w)
            w.reason, w.figure, w.colour = c.reason[:300], c.figure[:64], c.colour
            w.save()
        bulk.insert_rows(MemberWarning, NEW_FIELDS, new_rows)
        raised = _with_users(new_rows)
        result = {
            "raised": len(new_rows),
            "escalated": len(escalated),
            "cleared": len(cleared),
            "active": len(causes),
        }
        if new_rows or escalated or cleared:
            audit.record(
                actor=actor,
                action="assessment.warnings_recompute",
                object_type="assessment.memberwarning",
                object_id=today.isoformat(),
                object_repr=f"{today.isoformat()}党员双色预警",
                after=result,
            )
        transaction.on_commit(lambda: _notify(raised + escalated))
    return result


NEW_FIELDS = (
    "member_id",
    "member_name",
    "org_id",
    "org_path",
    "user_id",
    "rule",
    "colour",
    "reason",
    "clears_when",
    "figure",
    "active",
    "raised_on",
    "updated_at",
)


def _with_users(new_rows: list[tuple]) -> list[MemberWarning]:
    """The rows just inserted whose member has an account (those are notified), as
    instances with their ids, in the order they were raised."""
    mine = [dict(zip(NEW_FIELDS, row, strict=True)) for row in new_rows if row[4] is not None]
    if not mine:
        return []
    ids = {
        (member_id, rule): pk
        for member_id, rule, pk in MemberWarning.objects.filter(
            active=True, member_id__in={w["member_id"] for w in mine}
        ).values_list("member_id", "rule", "pk")
    }
    out = []
    for w in mine:
        pk = ids[(w["member_id"], w["rule"])]
        w.pop("raised_on"), w.pop("updated_at")
        out.append(MemberWarning(pk=pk, **w))
    return out


def _notify(rows: list[MemberWarning]) -> None:
    if not rows:
        return
    url = reverse("portal:assessment:mine")
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk({w.user_id for w in rows if w.user_id})
    for w in rows:
        user = users.get(w.user_id)
        if user is None:
            continue
        notify.notify(
            recipients=[user],
            kind="assessment.warning",
            title=f"{w.get_colour_display()}：{w.get_rule_display()}",
            body=f"{w.reason}。解除条件：{w.clears_when}",
            url=url,
            key=f"assessment.warning:{w.pk}:{w.colour}",
        )
