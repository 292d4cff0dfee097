"""Console forms of organizational life. They parse what a person typed and hand it to the
services unchanged; the services check the values and their Chinese messages per field land on
these forms (``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.ids import MAX_PK
from dangjian.orglife.models import SessionType
from dangjian.web.forms import TextField, messages_of

REQUIRED = {"required": True}


def month_value(raw: str):
    """A month as the service takes it: a number when it is one, else the text (the service
    names it in its message)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 2 else raw


class LocalDateTimeField(TextField):
    """A ``datetime-local`` input; a value that is not one reads "请填写有效的日期和时间"."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", **REQUIRED})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            parsed = dt.datetime.fromisoformat((value or "").strip())
        except ValueError:
            raise ValidationError("请填写有效的日期和时间") from None
        return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed

    def validate(self, value):  # the parse above already refuses a blank value
        pass


class MemberIdsField(forms.Field):
    """Checkboxes of members; the ids typed in are read as numbers ("党员编号无效" if not)."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        out = []
        for raw in value or []:
            if str(raw).strip():
                try:
                    out.append(int(raw))
                except ValueError:
                    raise ValidationError("党员编号无效") from None
        return out


class SessionScheduleForm(forms.Form):
    """安排组织生活 (``services.session_schedule``): host and recorder are chosen among the
    organization's members (an id of anyone else is left out, as before)."""

    session_type = TextField(
        label="类型",
        required=False,
        widget=forms.Select(choices=SessionType.choices, attrs=REQUIRED),
    )
    topic = TextField(
        label="主题",
        required=False,
        strip=False,
        widget=forms.TextInput({"maxlength": 200, **REQUIRED}),
    )
    starts_at = LocalDateTimeField(label="开始时间")
    ends_at = LocalDateTimeField(label="结束时间")
    place = TextField(
        label="地点", required=False, strip=False, widget=forms.TextInput({"maxlength": 200})
    )
    host_id = TextField(label="主持人", required=False, widget=forms.Select)
    recorder_id = TextField(label="记录人", required=False, widget=forms.Select)
    committee_ids = MemberIdsField(label="支部委员（召开支委会时选择）")
    joint_org_ids = MemberIdsField(
        label="联合开展的组织",
        help_text="所选组织的在册党员一并列入参会名单（无表决权）",
    )
    leader_ids = MemberIdsField(
        label="参加的领导干部（双重组织生活）",
        widget=forms.SelectMultiple,
        help_text="上级党组织委员以普通党员身份参加；按住 Ctrl 可多选",
    )
    invitee_ids = MemberIdsField(
        label="邀请列席",
        widget=forms.SelectMultiple,
        help_text="上级党组织范围内的其他党员；按住 Ctrl 可多选",
    )

    def __init__(self, *args, members=(), joint_orgs=(), leaders=(), invitees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.by_id = {m.pk: m for m in members}
        people = [(m.pk, m.name) for m in members]
        self.fields["host_id"].widget.choices = [("", "（不指定）"), *people]
        self.fields["recorder_id"].widget.choices = [("", "（不指定）"), *people]
        self.fields["committee_ids"].widget.choices = people
        self.fields["joint_org_ids"].widget.choices = [(o.pk, o.name) for o in joint_orgs]
        self.fields["leader_ids"].widget.choices = [(m.pk, m.name) for m in leaders]
        self.fields["invitee_ids"].widget.choices = [(m.pk, m.name) for m in invitees]

    def _member(self, raw: str):
        return self.by_id.get(int(raw)) if raw.isdigit() else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "session_type": data["session_type"],
            "topic": data["topic"],
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "place": data["place"],
            "host": self._member(data["host_id"]),
            "recorder": self._member(data["recorder_id"]),
            "committee_ids": data["committee_ids"],
            "joint_org_ids": data["joint_org_ids"],
            "leader_ids": data["leader_ids"],
            "invitee_ids": data["invitee_ids"],
        }


class PlanItemForm(forms.Form):
    """One item of a plan (``plans.plan_item_add`` and ``plan_item_update``)."""

    session_type = TextField(label="类型", required=False, widget=forms.Select(attrs=REQUIRED))
    month = TextField(label="计划月份", required=False, widget=forms.Select(attrs=REQUIRED))
    topic = TextField(
        label="主题",
        required=False,
        strip=False,
        widget=forms.TextInput({"maxlength": 200, **REQUIRED}),
    )

    def __init__(self, *args, months=(), blank: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        empty = [("", "请选择")] if blank else []
        self.fields["session_type"].widget.choices = [*empty, *SessionType.choices]
        self.fields["month"].widget.choices = [*empty, *[(str(m), f"{m}月") for m in months]]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "session_type": data["session_type"],
            "month": month_value(data["month"]),
            "topic": data["topic"],
        }


class PlanForm(forms.Form):
    """A plan's head (``plans.plan_create``); its item rows are read beside it."""

    org = TextField(label="党组织", required=False, widget=forms.Select(attrs=REQUIRED))
    year = TextField(
        label="年度",
        required=False,
        widget=forms.TextInput({"size": 6, "inputmode": "numeric", **REQUIRED}),
    )
    quarter = TextField(
        label="期间",
        required=False,
        widget=forms.Select(
            choices=[("", "全年计划"), *[(str(q), f"第{q}季度") for q in range(1, 5)]]
        ),
    )
    title = TextField(
        label="标题",
        required=False,
        strip=False,
        widget=forms.TextInput({"maxlength": 100, "placeholder": "留空则按组织和期间生成"}),
    )
    note = TextField(label="说明", required=False, strip=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].widget.choices = [("", "请选择"), *[(b.pk, b.name) for b in choices]]

    def clean_org(self):
        value = self.cleaned_data["org"]
        if not value:
            raise ValidationError("请选择党组织")
        return value

    def clean_year(self):
        raw = self.cleaned_data["year"]
        if not raw:
            raise ValidationError("请填写年度")
        if raw.isdigit() and 2000 <= int(raw) <= 2100:
            return int(raw)
        raise ValidationError("年度应为2000至2100之间的四位数字")

    def clean_quarter(self):
        raw = self.cleaned_data["quarter"]
        if not raw:
            return None
        if raw in ("1", "2", "3", "4"):
            return int(raw)
        raise ValidationError("季度应为1至4")


class PlanRowForm(forms.Form):
    """One item row of a new plan. The rows post as parallel lists under the same names
    (``item_type``, ``item_month``, ``item_topic``), one form per row (``plan_rows``); a row
    with neither a type nor a topic is left out; the service's messages of item ``i`` land
    on that row's fields."""

    item_type = TextField(label="类型", required=False, strip=False, widget=forms.Select)
    item_month = TextField(
        label="计划月份",
        required=False,
        widget=forms.TextInput({"size": 3, "inputmode": "numeric", "placeholder": "1-12"}),
    )
    item_topic = TextField(
        label="主题", required=False, strip=False, widget=forms.TextInput({"maxlength": 200})
    )
    SERVICE_NAMES = {"session_type": "item_type", "month": "item_month", "topic": "item_topic"}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", False)  # the same names on every row: no ids
        super().__init__(*args, **kwargs)
        self.fields["item_type"].widget.choices = [("", "—"), *SessionType.choices]

    def used(self) -> bool:
        data = self.cleaned_data
        return bool(data["item_type"] or data["item_topic"].strip())

    def service_item(self) -> dict:
        data = self.cleaned_data
        return {
            "session_type": data["item_type"],
            "month": month_value(data["item_month"]),
            "topic": data["item_topic"],
        }

    def add_service_error(self, key: str, messages) -> None:
        """A service message keyed ``session_type``, ``month`` or ``topic`` onto its cell."""
        name = self.SERVICE_NAMES.get(key)
        for message in messages:
            self.add_error(name, message)


def plan_rows(data=None, *, least: int = 0) -> list[PlanRowForm]:
    """The item rows posted in ``data`` (each read and cleaned), then blank rows up to
    ``least``."""
    rows = []
    if data is not None:
        lists = {name: data.getlist(name) for name in PlanRowForm.base_fields}
        for i in range(max(len(v) for v in lists.values())):
            row = PlanRowForm({name: v[i] if i < len(v) else "" for name, v in lists.items()})
            row.is_valid()  # text only: always readable, the service checks the values
            rows.append(row)
    while len(rows) < least:
        rows.append(PlanRowForm())
    return rows


class AttendanceMarkForm(forms.Form):
    """One row of the attendance table (``services.attendance_mark``); the table posts one
    row at a time and the page shows the answer as a message."""

    member_id = forms.IntegerField(
        min_value=1,
        max_value=MAX_PK,
        error_messages={
            "required": "请选择党员",
            "invalid": "党员编号无效",
            "min_value": "党员编号无效",
            "max_value": "党员编号无效",
        },
    )
    status = TextField(required=False)
    reason = TextField(required=False, strip=False)
    leave_approved = TextField(required=False)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "member_id": data["member_id"],
            "status": data["status"],
            "reason": data["reason"],
            "leave_approved": data["leave_approved"] == "1",
        }


class MinutesForm(forms.Form):
    """The minutes of a scheduled session (``services.session_update``)."""

    minutes = TextField(required=False, strip=False, widget=forms.Textarea)


__all__ = ["messages_of"]  # the web kit's, where the views have imported it from
