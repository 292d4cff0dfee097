"""Console forms of the cadres (两委干部), reserves and mentor pairs: the service's Chinese
messages land on their fields."""

from __future__ import annotations

from django import forms

from dangjian.cadres.models import CadrePosition, Committee
from dangjian.core.ids import MAX_PK
from dangjian.members.forms import PickerField, _choices, _date, shown_required
from dangjian.members.models import (
    Education,
    Gender,
    Member,
)

YES_NO = [("", "按党员档案或默认"), ("yes", "是"), ("no", "否")]


def yes_no(value: str):
    return {"yes": True, "no": False}.get(value or "")


class CadreForm(forms.Form):
    """Create (with ``area``) and edit (without) a seat on the two committees (两委)."""

    area = PickerField(label="村(社区)", purpose="any", tree="area")
    committee = forms.ChoiceField(
        label="所在委员会", required=False, choices=_choices(Committee.choices)
    )
    position = forms.ChoiceField(
        label="职务", required=False, choices=_choices(CadrePosition.choices)
    )
    name = forms.CharField(label="姓名", required=False, max_length=100)
    member = forms.IntegerField(
        label="关联党员档案编号",
        required=False,
        min_value=1,
        max_value=MAX_PK,
        help_text="填写后姓名、性别、出生日期和学历取自党员档案",
    )
    one_shoulder = forms.BooleanField(label="书记、主任“一肩挑”", required=False)
    cross_holding = forms.BooleanField(label="交叉任职", required=False)
    party_member = forms.ChoiceField(label="是否党员", required=False, choices=YES_NO)
    gender = forms.ChoiceField(label="性别", required=False, choices=_choices(Gender.choices))
    birth_date = _date("出生日期")
    education = forms.ChoiceField(label="学历", required=False, choices=_choices(Education.choices))
    term_start = _date("任期开始")
    term_end = _date("任期结束", help_text="不填为任期开始后5年")

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["area"]
        shown_required(self, *(["area"] if creating else []), "committee", "position")

    def service_args(self) -> dict:
        data = self.cleaned_data
        args = {
            k: data.get(k) or "" for k in ("committee", "position", "name", "gender", "education")
        }
        args |= {k: data.get(k) for k in ("birth_date", "term_start", "term_end")}
        args["one_shoulder"] = bool(data.get("one_shoulder"))
        args["cross_holding"] = bool(data.get("cross_holding"))
        args["party_member"] = yes_no(data.get("party_member"))
        args["member"] = Member(pk=data["member"]) if data.get("member") else None
        return args


class CadreEndForm(forms.Form):
    ended_on = _date("卸任日期", help_text="不填为今天")


class ReserveForm(forms.Form):
    area = PickerField(label="村(社区)", purpose="any", tree="area")
    name = forms.CharField(label="姓名", required=False, max_length=100)
    member = forms.IntegerField(
        label="关联党员档案编号", required=False, min_value=1, max_value=MAX_PK
    )
    gender = forms.ChoiceField(label="性别", required=False, choices=_choices(Gender.choices))
    birth_date = _date("出生日期")
    education = forms.ChoiceField(label="学历", required=False, choices=_choices(Education.choices))
    intended_position = forms.ChoiceField(
        label="培养方向", required=False, choices=_choices(CadrePosition.choices, "不限")
    )
    added_on = _date("纳入后备日期", help_text="不填为今天")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        shown_required(self, "area")

    def service_args(self) -> dict:
        data = self.cleaned_data
        args = {k: data.get(k) or "" for k in ("name", "gender", "education", "intended_position")}
        args |= {k: data.get(k) for k in ("birth_date", "added_on")}
        args["member"] = Member(pk=data["member"]) if data.get("member") else None
        return args


class _IdChoice(forms.TypedChoiceField):
    """A select of ids whose value is not checked against the options: the service decides
    (an id out of the user's scope reads as absent, 404, like everywhere else)."""

    def __init__(self, **kwargs):
        super().__init__(required=False, coerce=int, empty_value=None, **kwargs)

    def valid_value(self, value) -> bool:
        return str(value).isdigit() and 1 <= int(value) <= MAX_PK


class MentorForm(forms.Form):
    mentor = _IdChoice(label="导师（在任两委干部）")
    mentee = _IdChoice(label="帮带对象（后备干部）")
    started_on = _date("开始日期", help_text="不填为今天")
    goal = forms.CharField(label="帮带目标", required=False, max_length=400)

    def __init__(self, *args, mentors=(), mentees=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].choices = [("", "请选择"), *mentors]
        self.fields["mentee"].choices = [("", "请选择"), *mentees]
        shown_required(self, "mentor", "mentee")
