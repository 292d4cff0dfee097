"""The forms of the party tree's administration in the console: create and edit (with the
fields of each form of organization), change of kind, dissolution and the Excel import.

Lists typed in a text box, one per line (the same shapes the import reads):
- covered units of a joint branch: ``单位名称:正式党员人数``;
- members from resident units of a 大工委 / 大党委: ``驻区单位|姓名|职务|专职或兼职``.
What the values mean is the services' (``organizations.shapes``) to check.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangjian.core import tree
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind, PartyOrg
from dangjian.territory.models import Area, AreaKind
from dangjian.web.forms import TextField, add_service_errors

DATE = {"type": "date"}
DATE_ERRORS = {"invalid": _("日期格式应为YYYY-MM-DD")}
AREA_DEPTH = 2  # the anchor's own area and two levels below it are offered
MAX_AREA_CHOICES = 300


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class OrgEditForm(forms.Form):
    name = TextField(label=_("组织名称"), max_length=100)
    form = forms.ChoiceField(label=_("组建形式"), choices=OrgForm.choices, initial=OrgForm.REGULAR)
    domain = forms.ChoiceField(label=_("所属领域"), choices=OrgDomain.choices)
    area = forms.TypedChoiceField(label=_("所在区域"), coerce=int)
    code = TextField(label=_("组织代码"), max_length=32, required=False)
    credit_code = TextField(label=_("统一社会信用代码"), max_length=18, required=False)
    credit_code_override = forms.BooleanField(
        label=_("校验位不符但代码真实（旧代码）"), required=False
    )
    credit_code_override_reason = TextField(label=_("例外原因"), max_length=200, required=False)
    contact_phone = TextField(label=_("联系电话"), max_length=20, required=False)
    established_on = forms.DateField(
        label=_("成立日期"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages=DATE_ERRORS,
    )
    term_years = forms.IntegerField(label=_("任期(年)"), min_value=1, max_value=10, required=False)
    founding_full_members = forms.IntegerField(
        label=_("组建时正式党员人数"),
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=_("党支部（常设、临时）必填，3名以上"),
    )
    project_name = TextField(
        label=_("项目或任务"), max_length=100, required=False, help_text=_("临时党组织必填")
    )
    ends_on = forms.DateField(
        label=_("预计撤销日期"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages=DATE_ERRORS,
        help_text=_("临时党组织必填"),
    )
    joint_units = TextField(
        label=_("覆盖单位"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("联合党支部必填：2至5个单位，每行一个，写作“单位名称:正式党员人数”"),
    )
    villages = forms.TypedMultipleChoiceField(
        label=_("联建村"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("联建党组织必选：至少2个村"),
    )
    resident_unit_members = TextField(
        label=_("驻区单位委员"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("大工委、大党委填写：每行一名，写作“驻区单位|姓名|职务|专职或兼职”"),
    )

    LISTS = ("joint_units", "villages", "resident_unit_members")

    def __init__(self, *args, user, anchor: Area, org: PartyOrg | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        near = (
            Area.objects.visible_to(user, "territory.view")
            .filter(tree.subtree_q("path", anchor.path), depth__lte=anchor.depth + AREA_DEPTH)
            .only("pk", "name", "kind", "depth", "path")
            .order_by("path")[:MAX_AREA_CHOICES]
        )
        areas = list(near)
        if org is not None and all(a.pk != org.area_id for a in areas):
            areas.insert(0, org.area)
        self.fields["area"].choices = [
            (a.pk, f"{'　' * max(0, a.depth - anchor.depth)}{a.name}（{a.get_kind_display()}）")
            for a in areas
        ]
        villages = [a for a in areas if a.kind == AreaKind.VILLAGE]
        if org is not None:
            villages += [
                a
                for a in Area.objects.visible_to(user, "territory.view").filter(
                    pk__in=org.covered_villages.values_list("area_id", flat=True)
                )
                if all(v.pk != a.pk for v in villages)
            ]
        self.fields["villages"].choices = [(a.pk, a.name) for a in villages]

    def clean_joint_units(self):
        units = []
        for line in _lines(self.cleaned_data["joint_units"]):
            name, sep, count = line.replace("：", ":").rpartition(":")
            if not sep or not name.strip() or not count.strip().isdigit():
                raise ValidationError(_("“%(line)s”应写作“单位名称:正式党员人数”") % {"line": line})
            units.append({"name": name.strip(), "full_members": int(count.strip())})
        return units

    def clean_resident_unit_members(self):
        rows = []
        for line in _lines(self.cleaned_data["resident_unit_members"]):
            parts = [p.strip() for p in line.replace("｜", "|").split("|")]
            if len(parts) not in (3, 4):
                raise ValidationError(
                    _("“%(line)s”应写作“驻区单位|姓名|职务|专职或兼职”") % {"line": line}
                )
            full_time = len(parts) == 4 and parts[3] == "专职"
            rows.append(
                {
                    "unit_name": parts[0],
                    "person_name": parts[1],
                    "post": parts[2],
                    "full_time": full_time,
                }
            )
        return rows

    def service_args(self) -> dict:
        """The cleaned values as the service takes them; the lists only for the form that
        records them (the others' boxes are left out)."""
        data = dict(self.cleaned_data)
        data["area"] = Area(pk=data["area"])
        form = data["form"]
        wanted = {
            OrgForm.JOINT: "joint_units",
            OrgForm.CROSS_VILLAGE: "villages",
            OrgForm.STREET_JOINT: "resident_unit_members",
            OrgForm.COMMUNITY_JOINT: "resident_unit_members",
        }.get(form)
        for key in self.LISTS:
            if key != wanted:
                data.pop(key, None)
        if form != OrgForm.TEMPORARY:
            data["project_name"], data["ends_on"] = None, None
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)


class OrgCreateForm(OrgEditForm):
    kind = forms.ChoiceField(label=_("组织类别"), choices=OrgKind.choices)

    field_order = ["name", "kind", "form", "domain", "area"]

    def service_args(self) -> dict:
        data = super().service_args()
        if data.get("project_name") is None:
            data.pop("project_name")
            data.pop("ends_on")
        return data


class ChangeKindForm(forms.Form):
    kind = forms.ChoiceField(label=_("新类别"), choices=OrgKind.choices)
    reason = TextField(label=_("变更原因"), max_length=200, required=False)
    changed_on = forms.DateField(
        label=_("变更日期"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages=DATE_ERRORS,
        help_text=_("不填为今天"),
    )

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)


class DissolveForm(forms.Form):
    reason = TextField(label=_("撤销原因"), max_length=200)
    dissolved_on = forms.DateField(
        label=_("撤销日期"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        error_messages=DATE_ERRORS,
        help_text=_("不填为今天"),
    )

    def add_service_errors(self, exc: ValidationError) -> None:
        add_service_errors(self, exc)
