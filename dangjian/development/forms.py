"""Console forms of party development (the registration of an applicant; the steps are the
workflow's own). They carry what a person typed to the services unchanged; the services check
the values and their Chinese messages per field land on these forms
(``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms

from dangjian.members.models import Ethnicity, Gender
from dangjian.web.forms import TextField


class AskedField(TextField):
    """A field the page marks as asked for (``*``) whose blank value still goes to the service,
    which names what is missing in its own words beside every other bad value."""

    def validate(self, value):
        if value not in self.empty_values:
            super().validate(value)


def _text(label: str, element_id: str, **attrs) -> forms.CharField:
    return TextField(
        label=label, required=False, widget=forms.TextInput({"id": element_id, **attrs})
    )


class ApplicantForm(forms.Form):
    """登记入党申请人 (``registration.applicant_create``)."""

    org = AskedField(label="所在党组织", widget=forms.Select({"id": "a-org"}))
    name = AskedField(label="姓名", widget=forms.TextInput({"id": "a-name"}))
    id_number = _text("身份证号码", "a-id", autocomplete="off")
    gender = TextField(
        label="性别",
        required=False,
        widget=forms.Select(
            {"id": "a-gender"}, choices=[("", "（按身份证号码）"), *Gender.choices]
        ),
    )
    birth_date = _text("出生日期", "a-birth", type="date")
    ethnicity = AskedField(
        label="民族",
        initial="01",
        widget=forms.Select({"id": "a-eth"}, choices=Ethnicity.choices),
    )
    phone = _text("手机号码", "a-phone", autocomplete="off")
    work_unit = _text("工作单位", "a-unit")

    def __init__(self, *args, orgs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].widget.choices = [("", "请选择"), *[(o.pk, o.name) for o in orgs]]
        self.fields["id_number"].help_text = "填写后自动得出出生日期和性别"

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "id_number": data["id_number"],
            "gender": data["gender"],
            "birth_date": data["birth_date"] or None,
            "ethnicity": data["ethnicity"],
            "phone": data["phone"],
            "work_unit": data["work_unit"],
        }


class TargetForm(forms.Form):
    """A year's targets of one node (``targets.target_set``); the board answers with a
    message and shows the targets saved."""

    tree = TextField(required=False)
    node = TextField(required=False)
    year = TextField(required=False)
    activists = TextField(required=False, empty_value="0")
    candidates = TextField(required=False, empty_value="0")
    new_members = TextField(required=False, empty_value="0")
