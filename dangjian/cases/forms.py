"""Console and mobile forms of the grid event closed loop.

They parse what a person typed; what the values mean is checked by the services and selectors
(``services.event_transition``, ``services.event_create``, ``services.event_class_*``), whose
Chinese messages per field are mapped back onto these forms by ``add_service_errors``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from dangjian.cases.models import ClassKind, EventClass, LimitUnit, Rating, Resolution, State
from dangjian.core.ids import MAX_PK
from dangjian.core.validators import parse_month

DATE = {"type": "date"}
MAX_PHOTOS = 6


def _choices(choices, empty: str = "全部") -> list[tuple[str, str]]:
    return [("", empty), *[(value, str(label)) for value, label in choices]]


def class_choices(empty: str = "全部") -> list[tuple[str, str]]:
    rows = EventClass.objects.filter(active=True).order_by("sort", "id")
    return [("", empty), *[(c.code, f"{c.get_kind_display()}·{c.name}") for c in rows]]


def add_service_errors(form: forms.Form, exc: ValidationError, aliases: dict | None = None):
    """A service's ``ValidationError`` onto the form: each key on its field (through
    ``aliases``), anything else above the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages in exc.message_dict.items():
        name = (aliases or {}).get(key, key)
        field = name if name in form.fields else None
        for message in messages:
            form.add_error(field, f"{message}" if field else message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` photos; ``core.files.file_store`` checks each one's content."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "multiple": True})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(f"照片最多{MAX_PHOTOS}张")
        return files


class AreaField(forms.IntegerField):
    """An area id chosen from a select of the user's top levels; any id parses, the selector
    reads it through the scope (404 when the user may not see it)."""

    widget = forms.Select

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=MAX_PK, **kwargs)


# --- the list -------------------------------------------------------------------------------------

SLA_FILTERS = [("", "全部"), ("normal", "正常"), ("chase", "临期"), ("overdue", "超期")]
# The stages of ``selectors.event_list(stage=...)``: the dashboard's event figures.
STAGE_FILTERS = [
    ("", "全部"),
    ("reported", "当月上报"),
    ("opened", "立案"),
    ("dispatched", "已派遣"),
    ("responded", "已签收"),
    ("closed", "已办结"),
    ("closed_on_time", "按期办结"),
    ("solved", "已解决"),
    ("evaluated", "已评价"),
    ("satisfied", "满意"),
    ("overdue", "曾超期"),
    ("open", "未办结"),
    ("overdue_open", "超期未办结"),
]


class EventFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=50,
        widget=forms.SearchInput(attrs={"placeholder": "事件描述或事发位置"}),
    )
    state = forms.ChoiceField(label="状态", required=False, choices=_choices(State.choices))
    class_code = forms.ChoiceField(label="事件类别", required=False)
    department = forms.TypedChoiceField(
        label="承办部门", required=False, coerce=int, empty_value=None
    )
    sla = forms.ChoiceField(label="时限状态", required=False, choices=SLA_FILTERS)
    area = AreaField(label="区域")
    date_from = forms.DateField(
        label="上报日期自", required=False, widget=forms.DateInput(attrs=DATE)
    )
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs=DATE))
    # The events behind a dashboard figure: opened (立案) in the month that reached the stage.
    period = forms.CharField(
        label="立案月份",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM", "inputmode": "numeric"}),
    )
    stage = forms.ChoiceField(label="环节", required=False, choices=STAGE_FILTERS)

    def __init__(self, *args, areas=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_code"].choices = class_choices()
        self.fields["area"].widget.choices = [("", "全部"), *areas]
        self.fields["department"].choices = [("", "全部"), *departments]

    def clean_period(self):
        value = (self.cleaned_data.get("period") or "").strip()
        try:
            parse_month(value, field="period", label="立案月份")
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["period"][0]) from None
        return value

    def clean(self):
        data = super().clean()
        a, b = data.get("date_from"), data.get("date_to")
        if a and b and b < a:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data

    def selector_args(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        out = {}
        for key, arg in (
            ("q", "q"),
            ("state", "state"),
            ("class_code", "class_code"),
            ("department", "department"),
            ("sla", "sla_status"),
            ("area", "area"),
            ("period", "period"),
            ("stage", "stage"),
        ):
            if data.get(key) not in (None, ""):
                out[arg] = data[key]
        return out


# --- moves ----------------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    """One move of ``FLOW``: the service says which fields the move needs."""

    action = forms.CharField(max_length=24)
    note = forms.CharField(
        label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    class_code = forms.ChoiceField(label="事件类别", required=False)
    department_id = forms.TypedChoiceField(
        label="承办部门", required=False, coerce=int, empty_value=None
    )
    extension_days = forms.IntegerField(label="延期工作日", required=False, min_value=1)
    extension_hours = forms.IntegerField(label="延期工作小时", required=False, min_value=1)
    rating = forms.ChoiceField(
        label="评价", required=False, choices=_choices(Rating.choices, "请选择")
    )
    resolution = forms.ChoiceField(
        label="解决情况", required=False, choices=_choices(Resolution.choices, "请选择")
    )
    photos = PhotosField(label="处置照片", required=False)
    # A staff rating's follow-up call (回访记录; ``cases.ratings``).
    call_date = forms.DateField(
        label="回访日期",
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages={"invalid": "回访日期格式应为YYYY-MM-DD"},
    )
    callee = forms.CharField(label="回访对象", required=False, max_length=50)
    call_note = forms.CharField(
        label="回访情况", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_code"].choices = class_choices("不变")
        self.fields["department_id"].choices = [("", "按类别默认部门"), *departments]


# --- the taxonomy ---------------------------------------------------------------------------------


class EventClassForm(forms.Form):
    code = forms.CharField(label="代码", required=False, max_length=32)
    name = forms.CharField(label="名称", required=False, max_length=50)
    kind = forms.ChoiceField(
        label="大类", required=False, choices=_choices(ClassKind.choices, "请选择")
    )
    department_name = forms.CharField(label="默认承办部门", required=False, max_length=100)
    limit_value = forms.IntegerField(label="处置时限", required=False, min_value=0, max_value=480)
    limit_unit = forms.ChoiceField(
        label="时限单位", required=False, choices=_choices(LimitUnit.choices, "请选择")
    )
    keywords = forms.CharField(
        label="关键词",
        required=False,
        max_length=1000,
        help_text="用空格或逗号分隔",
        widget=forms.TextInput(),
    )
    active = forms.BooleanField(label="启用", required=False, initial=True)
    sort = forms.IntegerField(label="排序", required=False, min_value=0, max_value=29999)

    def values(self, *, creating: bool) -> dict:
        data = self.cleaned_data
        out = {
            "name": data.get("name") or "",
            "kind": data.get("kind") or "",
            "department_name": data.get("department_name") or "",
            "limit_value": data.get("limit_value"),
            "limit_unit": data.get("limit_unit") or "",
            "keywords": [
                k for k in (data.get("keywords") or "").replace("，", ",").replace(",", " ").split()
            ],
            "active": bool(data.get("active")),
            "sort": data.get("sort") or 0,
        }
        if creating:
            out["code"] = data.get("code") or ""
        return out


# --- metrics --------------------------------------------------------------------------------------


class MetricsForm(forms.Form):
    area = AreaField(label="区域")
    department = forms.TypedChoiceField(
        label="承办部门", required=False, coerce=int, empty_value=None
    )
    date_from = forms.DateField(
        label="立案日期自", required=False, widget=forms.DateInput(attrs=DATE)
    )
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs=DATE))
    group_by = forms.ChoiceField(
        label="分组",
        required=False,
        choices=[
            ("", "按类别和承办部门"),
            ("class", "按类别"),
            ("department", "按承办部门"),
            ("child", "按下级区域"),
        ],
    )

    def __init__(self, *args, areas=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].widget.choices = [("", "全部"), *areas]
        self.fields["department"].choices = [("", "全部"), *departments]

    def clean(self):
        data = super().clean()
        a, b = data.get("date_from"), data.get("date_to")
        if a and b and b < a:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data

    def selector_args(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        out = {k: data.get(k) for k in ("area", "department", "date_from", "date_to")}
        out["group_by"] = data.get("group_by") or ""
        return out


# --- mobile ---------------------------------------------------------------------------------------


class ReportForm(forms.Form):
    """A report from the phone (grid worker or resident)."""

    area = forms.TypedChoiceField(
        label="所在网格/单元", required=False, coerce=int, empty_value=None
    )
    class_code = forms.ChoiceField(label="事件类别", required=False)
    description = forms.CharField(
        label="事件描述", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    place = forms.CharField(label="事发位置", required=False, max_length=200)
    lng = forms.FloatField(label="经度", required=False)
    lat = forms.FloatField(label="纬度", required=False)
    anonymous = forms.BooleanField(label="不公开我的姓名", required=False)
    photos = PhotosField(label="现场照片", required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_code"].choices = class_choices("不确定，由系统建议")
        self.fields["area"].choices = [("", "我所在的网格"), *areas]


def follow_up_of(data: dict) -> dict:
    """The follow-up call fields of a cleaned form, for ``services.event_transition``."""
    return {k: data.get(k) for k in ("call_date", "callee", "call_note")}


class RateForm(forms.Form):
    """The phone's rating: 1 to 5 stars as radio buttons; staff who rate a report that is not
    their own add the follow-up call (the service requires it)."""

    rating = forms.ChoiceField(
        label="评价",
        widget=forms.RadioSelect,
        choices=[
            ("5", "5分 非常满意"),
            ("4", "4分 满意"),
            ("3", "3分 基本满意"),
            ("2", "2分 不满意"),
            ("1", "1分 非常不满意"),
        ],
        error_messages={"required": "请选择评分"},
    )
    note = forms.CharField(label="留言", required=False, max_length=500)
    call_date = forms.DateField(
        label="回访日期",
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages={"invalid": "回访日期格式应为YYYY-MM-DD"},
    )
    callee = forms.CharField(label="回访对象", required=False, max_length=50)
    call_note = forms.CharField(label="回访情况", required=False, max_length=500)

    STARS_TO_RATING = {
        "5": Rating.SATISFIED,
        "4": Rating.SATISFIED,
        "3": Rating.BASIC,
        "2": Rating.DISSATISFIED,
        "1": Rating.DISSATISFIED,
    }


# --- intake on a caller's behalf (代群众登记) -------------------------------------------------


def intake_source_choices() -> list[tuple[str, str]]:
    from dangjian.cases.models import INTAKE_SOURCES, Source

    return [(v, str(lbl)) for v, lbl in Source.choices if v in INTAKE_SOURCES]


class IntakeForm(forms.Form):
    """A report staff take by phone, from a visitor or from the 12345 hotline. The grid and
    the unit are ids (the service reads them through the reporting reach: one outside it is
    refused on the field); the caller's phone is encrypted by the service like a reporter's."""

    source = forms.ChoiceField(label="反映渠道", error_messages={"required": "请选择反映渠道"})
    reporter_name = forms.CharField(label="反映人姓名", required=False, max_length=50)
    reporter_phone = forms.CharField(label="联系电话", required=False, max_length=20)
    anonymous = forms.BooleanField(label="反映人不愿透露姓名（仅登记人可见）", required=False)
    grid = AreaField(label="所在网格", required=True, error_messages={"required": "请选择网格"})
    unit = AreaField(label="单元（可选）")
    class_code = forms.ChoiceField(label="事件类别", required=False)
    description = forms.CharField(
        label="事件描述", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
    place = forms.CharField(label="事发位置", required=False, max_length=200)

    def __init__(self, *args, grids=(), units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "请选择"), *intake_source_choices()]
        self.fields["class_code"].choices = class_choices("不确定，由系统建议")
        self.fields["grid"].widget.choices = [("", "请选择"), *grids]
        self.fields["unit"].widget = UnitSelect(units)
        self.fields["unit"].widget.choices = [("", "不指定单元"), *[(u[0], u[1]) for u in units]]


class UnitSelect(forms.Select):
    """Units with their grid in ``data-grid`` (the page shows the chosen grid's units)."""

    def __init__(self, units=(), attrs=None):
        super().__init__(attrs)
        self.grid_of = {str(pk): str(grid) for pk, _name, grid in units}

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        grid = self.grid_of.get(str(value))
        if grid:
            option["attrs"]["data-grid"] = grid
        return option


# --- household visits (驻点直联) ----------------------------------------------------------------


class PeopleField(forms.TypedMultipleChoiceField):
    """User ids ticked among the team's people; the service says who may be named."""

    def __init__(self, **kwargs):
        super().__init__(coerce=int, **kwargs)

    def valid_value(self, value) -> bool:
        return True

    def to_python(self, value):
        values = super().to_python(value)
        for v in values:
            if not v.isdigit() or not 1 <= int(v) <= MAX_PK:
                raise ValidationError("走访人员应为用户编号")
        return values


class VisitForm(forms.Form):
    """One visit to one household, on the console and on the phone: a listed household or a
    grid or unit and the door; who went (from the team); the requests raised, one a line,
    each becoming an event."""

    team = AreaField(label="走访小组", required=True, error_messages={"required": "请选择走访小组"})
    household = AreaField(label="住户")
    area = AreaField(label="网格/单元")
    household_label = forms.CharField(label="门牌", required=False, max_length=100)
    visited_on = forms.DateField(
        label="走访日期",
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages={"invalid": "走访日期格式应为YYYY-MM-DD"},
    )
    visitors = PeopleField(label="走访人员", required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(
        label="走访情况", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    requests = forms.CharField(
        label="群众诉求",
        required=False,
        max_length=11000,
        help_text="每行一条，每条诉求登记为一件网格事件（来源：入户走访）",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, teams=(), households=(), areas=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].widget.choices = [("", "请选择"), *teams]
        self.fields["household"].widget.choices = [
            ("", "不在名册中，填写网格/单元和门牌"),
            *households,
        ]
        self.fields["area"].widget.choices = [("", "请选择"), *areas]
        self.fields["visitors"].choices = list(people)

    def request_lines(self) -> list[str]:
        text = self.cleaned_data.get("requests") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


# Service keys of a visit onto the form's fields (a request's own key names its line).
VISIT_ALIASES = {
    "team_id": "team",
    "household_id": "household",
    "area_id": "area",
    "visitor_ids": "visitors",
}


def add_visit_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        aliases = dict(VISIT_ALIASES)
        for key in exc.message_dict:
            if key.startswith("requests."):
                aliases[key] = "requests"
        add_service_errors(form, exc, aliases)
    else:
        add_service_errors(form, exc)
