"""Console forms of the member registry.

They parse what a person typed; what the values mean is checked by the services
(``services.clean_member_fields`` and friends), whose Chinese messages per field are mapped
back onto these forms by ``add_service_errors``. So most fields are optional here: the service
says what is missing, in the same words the API and the import use.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from dangjian.core.ids import MAX_PK
from dangjian.members import excel, selectors
from dangjian.members.models import (
    Category,
    Education,
    Ethnicity,
    Gender,
    Occupation,
    Status,
    TransferKind,
)

DATE = {"type": "date"}


def _choices(choices, empty: str = "请选择") -> list[tuple[str, str]]:
    return [("", empty), *[(value, str(label)) for value, label in choices]]


def _date(label: str, **kw) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"), **kw
    )


class PickerField(forms.IntegerField):
    """The id of a node chosen in a search-select (``members/_picker.html``): the options are
    loaded through htmx, so any id parses; the view or the service decides whether the user
    may see it (404 when not)."""

    widget = forms.Select

    def __init__(self, *, purpose: str, tree: str = "org", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(min_value=1, max_value=MAX_PK, **kwargs)
        self.purpose = purpose
        self.tree = tree
        self.picker: dict = {}  # set by the view: what the select lists first
        self.options_url = ""


def shown_required(form: forms.Form, *names: str) -> None:
    """Mark fields the service requires with the asterisk, without Django's own check."""
    for name in names:
        form.fields[name].shown_required = True


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
            form.add_error(field, message)


# --- the list --------------------------------------------------------------------------------


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=50,
        widget=forms.SearchInput(attrs={"placeholder": "姓名、拼音首字母或完整身份证号码"}),
    )
    org = PickerField(label="党组织", purpose="members")
    category = forms.ChoiceField(
        label="党员类别", required=False, choices=_choices(Category.choices, "全部")
    )
    status = forms.ChoiceField(
        label="党员状态", required=False, choices=_choices(Status.choices, "全部")
    )
    age_band = forms.ChoiceField(
        label="年龄段",
        required=False,
        choices=_choices([(b.code, b.label) for b in selectors.AGE_BANDS], "全部"),
    )
    education = forms.ChoiceField(
        label="学历", required=False, choices=_choices(Education.choices, "全部")
    )
    join_year = forms.IntegerField(
        label="入党年份",
        required=False,
        min_value=1921,
        error_messages={"min_value": "入党年份不能早于1921年"},
        widget=forms.NumberInput(attrs={"placeholder": "如 2005"}),
    )
    include_left = forms.BooleanField(label="含已转出系统外的党员", required=False)

    SELECTOR_ARGS = ("q", "org", "category", "status", "age_band", "education", "join_year")

    def clean_join_year(self):
        year = self.cleaned_data.get("join_year")
        if year is not None and year > timezone.localdate().year:
            raise ValidationError(f"入党年份应在1921至{timezone.localdate().year}之间")
        return year

    def selector_args(self) -> dict:
        """The filters that parsed, as ``selectors.member_list`` takes them."""
        data = getattr(self, "cleaned_data", {})
        args = {k: data.get(k) for k in self.SELECTOR_ARGS if data.get(k) not in (None, "")}
        if data.get("include_left"):
            args["include_left"] = True
        return args


# --- the file ----------------------------------------------------------------------------------


class MemberForm(forms.Form):
    """Create (with ``org``) and edit (without) a member's file."""

    org = PickerField(label="所在党组织", purpose="manage")
    name = forms.CharField(label="姓名", required=False, max_length=100)
    id_number = forms.CharField(
        label="身份证号码",
        required=False,
        max_length=30,
        help_text="18位；填写后性别和出生日期按身份证号码确定",
    )
    gender = forms.ChoiceField(label="性别", required=False, choices=_choices(Gender.choices))
    birth_date = _date("出生日期")
    ethnicity = forms.ChoiceField(label="民族", required=False, choices=_choices(Ethnicity.choices))
    phone = forms.CharField(label="手机号码", required=False, max_length=30)
    education = forms.ChoiceField(label="学历", required=False, choices=_choices(Education.choices))
    occupation = forms.ChoiceField(
        label="职业", required=False, choices=_choices(Occupation.choices)
    )
    work_unit = forms.CharField(label="工作单位", required=False, max_length=200)
    status = forms.ChoiceField(label="党员状态", required=False, choices=_choices(Status.choices))
    joined_on = _date("入党日期")
    confirmed_on = _date("转正日期", help_text="正式党员必填，预备党员不填")
    categories = forms.MultipleChoiceField(
        label="党员类别",
        required=False,
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    unit = PickerField(label="居住网格单元", purpose="residence", tree="area")
    transfer_letter_number = forms.CharField(
        label="介绍信编号", required=False, max_length=60, help_text="从系统外转入时填写"
    )
    transfer_from_name = forms.CharField(
        label="原党组织名称", required=False, max_length=120, help_text="从系统外转入时填写"
    )

    OWN = (
        "name",
        "id_number",
        "gender",
        "birth_date",
        "ethnicity",
        "phone",
        "education",
        "occupation",
        "work_unit",
        "status",
        "joined_on",
        "confirmed_on",
        "categories",
    )

    def __init__(self, *args, member=None, **kwargs):
        self.member = member
        if member is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{
                        f: getattr(member, f)
                        for f in self.OWN
                        if f not in ("id_number", "phone", "categories")
                    },
                    "categories": member.category_codes(),
                    "unit": member.unit_id,
                },
            )
        super().__init__(*args, **kwargs)
        shown_required(self, "name", "ethnicity", "status", "joined_on")
        if member is None:
            shown_required(self, "org")
        else:
            for name in ("org", "transfer_letter_number", "transfer_from_name"):
                del self.fields[name]
            # Personal data is never put back into a page: blank keeps the stored value.
            for name in ("id_number", "phone"):
                field = self.fields[name]
                field.help_text = "不修改请留空"
                field.widget.attrs["placeholder"] = getattr(member, f"{name}_masked", "") or ""
                field.widget.attrs["autocomplete"] = "off"

    def create_args(self) -> dict:
        data = self.cleaned_data
        return {
            **{f: data.get(f) if data.get(f) is not None else "" for f in self.OWN},
            "birth_date": data.get("birth_date"),
            "joined_on": data.get("joined_on"),
            "confirmed_on": data.get("confirmed_on"),
            "categories": data.get("categories") or [],
            "transfer_letter_number": data.get("transfer_letter_number") or "",
            "transfer_from_name": data.get("transfer_from_name") or "",
        }

    def changes(self) -> dict:
        """What the user changed, for ``member_update`` (blank ID and phone: unchanged)."""
        data = self.cleaned_data
        out = {}
        for name in self.changed_data:
            if name in ("id_number", "phone"):
                if (data.get(name) or "").strip():
                    out[name] = data[name]
            elif name in self.OWN:
                value = data.get(name)
                out[name] = "" if value is None and name not in self._DATES else value
        return out

    _DATES = ("birth_date", "joined_on", "confirmed_on")


# --- transfers, mobile members -------------------------------------------------------------------


class TransferRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label="转接类型",
        choices=[
            (TransferKind.INTERNAL.value, str(TransferKind.INTERNAL.label)),
            (TransferKind.OUT_OF_SYSTEM.value, str(TransferKind.OUT_OF_SYSTEM.label)),
        ],
        initial=TransferKind.INTERNAL,
        widget=forms.RadioSelect,
    )
    to_org = PickerField(label="转入党组织", purpose="target", help_text="系统内转接时选择")
    to_org_name = forms.CharField(
        label="转入的系统外党组织名称", required=False, max_length=120, help_text="转出系统外时填写"
    )
    letter_number = forms.CharField(label="介绍信编号", required=False, max_length=60)
    reason = forms.CharField(
        label="转接原因", required=False, max_length=250, widget=forms.Textarea(attrs={"rows": 2})
    )


class TransitionForm(forms.Form):
    action = forms.CharField(max_length=20)
    note = forms.CharField(required=False, max_length=600)
    letter_number = forms.CharField(required=False, max_length=60)


class MobileForm(forms.Form):
    destination = forms.CharField(label="外出去向", required=False, max_length=250)
    left_on = _date("外出日期")
    fixed_place = forms.BooleanField(label="外出地点固定", required=False)
    contact_phone = forms.CharField(label="联系电话", required=False, max_length=30)
    last_contact_on = _date("最近联系日期", help_text="不填为今天")
    card_number = forms.CharField(label="流动党员活动证号", required=False, max_length=50)
    card_issuer = PickerField(label="发证党委", purpose="committee")
    host_org = PickerField(label="流入地党组织", purpose="any")
    host_org_name = forms.CharField(
        label="流入地党组织名称",
        required=False,
        max_length=120,
        help_text="流入地党组织不在系统中时填写名称",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown_required(self, "destination", "left_on")


# --- import, statistics, check-ins ---------------------------------------------------------------

IMPORT_MODES = [
    ("all_or_nothing", "全部成功才导入（有任何错误都不导入）"),
    ("skip_bad", "跳过错误行（导入正确的行，列出错误行）"),
]


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Excel文件",
        required=False,
        help_text="仅支持.xlsx，不超过10MB；超过2000行或1MB的文件在后台导入，页面显示进度",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    mode = forms.ChoiceField(
        label="导入方式", choices=IMPORT_MODES, initial="all_or_nothing", widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown_required(self, "file")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            raise ValidationError("请上传Excel文件（.xlsx）")
        if upload.size > excel.MAX_IMPORT_BYTES:
            raise ValidationError("文件不能超过10MB，请拆分后分批导入")
        return upload


class StatsForm(forms.Form):
    org = PickerField(label="党组织", purpose="members")
    area = PickerField(label="居住区域", purpose="any", tree="area")


class CheckinFilterForm(forms.Form):
    q = forms.CharField(label="搜索", required=False, max_length=50)


# --- photo, check-in service records, cadres ---------------------------------------------------


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label="照片",
        required=False,
        help_text="JPEG、PNG、GIF或WebP图片，不超过2MB",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class ServiceRecordForm(forms.Form):
    served_on = _date("服务日期", help_text="不填为今天")
    content = forms.CharField(label="服务内容", required=False, max_length=400)
    hours = forms.DecimalField(
        label="服务时长（小时）", required=False, max_digits=6, decimal_places=1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown_required(self, "content", "hours")

    def service_args(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("served_on", "content", "hours")}
