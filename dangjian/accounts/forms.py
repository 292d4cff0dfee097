"""Console forms of users, grants, departments and the user import. Choices come from the
views (scoped); the services do the checking."""

from __future__ import annotations

from django import forms

from dangjian.accounts.models import UserKind
from dangjian.accounts.roles import ROLES
from dangjian.web.forms import TextField

DATE = {"type": "date"}
ROLE_CHOICES = [(r.code, r.name) for r in ROLES]


def _int_choice(label: str, required: bool = False) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, required=required, coerce=int, empty_value=None)


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=50,
        widget=forms.SearchInput(attrs={"placeholder": "用户名、姓名或手机号码"}),
    )
    kind = forms.ChoiceField(
        label="账号类型", required=False, choices=[("", "全部"), *UserKind.choices]
    )
    area = _int_choice("区域")
    active = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), ("1", "启用"), ("0", "停用")]
    )

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "全部"), *areas]


class UserForm(forms.Form):
    username = TextField(label="用户名", max_length=150)
    real_name = TextField(label="姓名", max_length=50)
    kind = forms.ChoiceField(label="账号类型", choices=UserKind.choices)
    area = _int_choice("所属区域")
    department = _int_choice("所属部门")
    phone = TextField(label="手机号码", max_length=20, required=False)

    def __init__(self, *args, areas=(), departments=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "请选择"), *areas]
        self.fields["department"].choices = [("", "无"), *departments]
        if editing:
            del self.fields["username"]


class GrantForm(forms.Form):
    role = forms.ChoiceField(label="角色", choices=ROLE_CHOICES)
    area = _int_choice("区域节点")
    org = _int_choice("党组织节点")
    department = _int_choice("职能部门")
    ends_on = forms.DateField(
        label="截止日期（可不填）", required=False, widget=forms.DateInput(attrs=DATE)
    )

    def __init__(self, *args, areas=(), orgs=(), departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "—"), *areas]
        self.fields["org"].choices = [("", "—"), *orgs]
        self.fields["department"].choices = [("", "—"), *departments]


class DepartmentForm(forms.Form):
    name = TextField(label="部门名称", max_length=100)
    area = _int_choice("所在区域", required=True)
    served_areas = forms.TypedMultipleChoiceField(
        label="服务区域", required=False, coerce=int, help_text="不选则服务所在区域"
    )
    phone = TextField(label="联系电话", max_length=30, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, areas=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "请选择"), *areas]
        self.fields["served_areas"].choices = list(areas)
        if editing:
            del self.fields["area"]
        else:
            del self.fields["active"]
