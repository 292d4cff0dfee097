"""Console forms of party development (the registration of an applicant; the steps are the
workflow's own). They carry what a person typed to the services unchanged; the services check
the values and their Chinese messages per field land on these forms
(``dangjian.web.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms

from dangjian.development import steps as S
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


class PeopleField(forms.Field):
    """The members ticked in the picker (contacts or sponsors): their ids as typed, blanks left
    out; the service reads them and names what is wrong."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return [str(v) for v in value or [] if str(v).strip()]


class ReviewItemsWidget(forms.Widget):
    """The four items of the political review, posted as ``review_items.<key>``."""

    def value_from_datadict(self, data, files, name):
        return {k: data.get(f"{name}.{k}", "") for k in S.REVIEW_ITEMS}


class ReviewItemsField(forms.Field):
    """The review items as one value (a dict by key), so the service's messages keyed
    ``review_items`` land on it."""

    widget = ReviewItemsWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value):
        return dict(value or {})


class StepForm(forms.Form):
    """A move of an applicant (``services.applicant_transition``): ``action`` is the number of
    the next step ("1".."25"), ``extend`` (with ``months``) or ``cancel``; the step's own fields
    (``steps.STEPS[n].fields``) are added to the form from it. Values go to the service as
    typed (a blank field is left out); its messages land on the fields they name."""

    action = TextField(required=False)
    date = TextField(required=False, strip=False)
    note = TextField(required=False, strip=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        action = (self.data.get("action") or "").strip()
        digit = action.isdigit() and 1 <= int(action) <= S.LAST_STEP
        self.number = int(action) if digit else None
        if self.number:
            self.step_fields = tuple(S.STEPS[self.number].fields)
        else:
            self.step_fields = ("months",) if action == "extend" else ()
        for f in self.step_fields:
            if f in ("contacts", "sponsors"):
                self.fields[f] = PeopleField()
            elif f == "review_items":
                self.fields[f] = ReviewItemsField()
            else:
                self.fields[f] = TextField(required=False, strip=False)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        fields: dict = {}
        for f in self.step_fields:
            value = data[f]
            if f == "review_items":
                if any(v.strip() for v in value.values()):
                    fields[f] = value
            elif f in ("contacts", "sponsors"):
                if value:
                    fields[f] = value
            elif value.strip():
                fields[f] = value.strip()
        return {
            "action": data["action"],
            "when": data["date"] or None,
            "note": data["note"],
            **fields,
        }

    def shown(self) -> dict:
        """What the page shows again: every value as typed (the ticked people as ``people``);
        read it before the service's messages are added (a field with a message leaves
        ``cleaned_data``)."""
        data = self.cleaned_data
        out: dict = {}
        for f in self.step_fields:
            out["people" if f in ("contacts", "sponsors") else f] = data[f]
        out["date"], out["note"] = data["date"], data["note"]
        return out

    def error_map(self, shown_fields=None) -> dict[str, list[str]]:
        """Messages per field for the page; ``general`` for those of no field, and for those
        of a field the page does not show (``shown_fields``)."""
        out: dict[str, list[str]] = {}
        for name, messages in self.errors.items():
            key = name if name != "__all__" else "general"
            if shown_fields is not None and key not in shown_fields:
                key = "general"
            out.setdefault(key, []).extend(str(m) for m in messages)
        return out
