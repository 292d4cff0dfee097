"""The forms of the governance tree's administration pages (``console.area_admin_views``).

Each form only gathers input; the services in ``territory.services`` decide and their
refusals land on the fields here (``web.forms.add_service_errors``). The choices of a new
parent or of the area to merge into are the open areas the user manages that fit; at city
scale they are narrowed to the neighbourhood (the grandparent's subtree) so a page stays small.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core import tree
from dangjian.territory.models import Area, AreaKind
from dangjian.territory.selectors import open_areas
from dangjian.territory.services import ALLOWED_CHILDREN
from dangjian.web.forms import TextField

MAX_CHOICES = 300


def _label(a: Area) -> str:
    return f"{a.name}（{a.get_kind_display()}）"


def candidates(user, area: Area, kinds) -> list[tuple[int, str]]:
    """Open areas of ``kinds`` that ``user`` manages, outside ``area``'s subtree; when there
    are too many, those in the subtree of the area's grandparent."""
    qs = (
        open_areas(user, "territory.manage")
        .filter(kind__in=list(kinds))
        .exclude(tree.subtree_q("path", area.path))
        .only("pk", "name", "kind", "path")
        .order_by("path")
    )
    rows = list(qs[: MAX_CHOICES + 1])
    if len(rows) > MAX_CHOICES:
        near = tree.ancestors_of(area.path)
        if len(near) >= 2:
            rows = list(qs.filter(tree.subtree_q("path", near[-2]))[:MAX_CHOICES])
        else:
            rows = rows[:MAX_CHOICES]
    return [(a.pk, _label(a)) for a in rows]


class AreaFieldsForm(forms.Form):
    name = TextField(label=_("名称"), max_length=100)
    code = forms.CharField(
        label=_("区划代码"),
        max_length=12,
        required=False,
        help_text=_("12位统计用区划代码（市、县为6位）；网格和单元留空"),
    )
    households = forms.IntegerField(label=_("户数"), min_value=0, initial=0)
    population = forms.IntegerField(label=_("人口"), min_value=0, initial=0)


class AreaChildForm(AreaFieldsForm):
    kind = forms.ChoiceField(label=_("类型"), choices=())

    field_order = ["kind", "name", "code", "households", "population"]

    def __init__(self, *args, parent: Area, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_CHILDREN[AreaKind(parent.kind)]
        self.fields["kind"].choices = [(k.value, k.label) for k in AreaKind if k in allowed]


class AreaEditForm(AreaFieldsForm):
    pass


class AreaMoveForm(forms.Form):
    parent = forms.TypedChoiceField(label=_("新的上级区域"), coerce=int, choices=())

    def __init__(self, *args, user, area: Area, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [k for k, children in ALLOWED_CHILDREN.items() if k and area.kind in children]
        choices = [c for c in candidates(user, area, kinds) if c[0] != area.parent_id]
        self.fields["parent"].choices = [("", "——请选择——"), *choices]


class AreaMergeForm(forms.Form):
    into = forms.TypedChoiceField(label=_("并入"), coerce=int, choices=())
    reason = TextField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, user, area: Area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = [("", "——请选择——"), *candidates(user, area, [area.kind])]


class AreaCloseForm(forms.Form):
    reason = TextField(label=_("撤销原因"), max_length=200)
    closed_on = forms.DateField(
        label=_("撤销日期"),
        required=False,
        help_text=_("留空为今天"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
