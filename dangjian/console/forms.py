from __future__ import annotations

import datetime as dt

from django import forms
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.services import LoginRefused
from dangjian.console.audit_labels import ACTION_LABELS  # noqa: F401 (re-exported)
from dangjian.web.forms import TextField

OBJECT_TYPES = (
    "accounts.user",
    "accounts.department",
    "territory.area",
    "organizations.partyorg",
    "core.holidayyear",
)


def object_type_label(label: str) -> str:
    if not label:
        return ""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=256)
    otp = forms.CharField(
        label=_("动态验证码"),
        required=False,
        max_length=8,
        help_text=_("已启用双因素认证的账号必填"),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            user = authenticate(
                None,
                username=data["username"],
                password=data["password"],
                otp=data.get("otp") or None,
            )
        except LoginRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        if user is None:
            raise forms.ValidationError(_("用户名或密码错误"))
        self.user = user
        return data


class SearchForm(forms.Form):
    q = forms.CharField(label=_("名称或拼音首字母"), required=False, max_length=50)


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("操作"), required=False, max_length=64)
    actor = forms.CharField(label=_("操作人"), required=False, max_length=150)
    object_type = forms.ChoiceField(label=_("对象类型"), required=False, choices=())
    date_from = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "全部")] + [
            (t, object_type_label(t)) for t in OBJECT_TYPES
        ]
        self.fields["action"].widget.attrs["list"] = "audit-actions"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期"))
        return data


class AuditRevealForm(forms.Form):
    """The reason for reading a sealed actor (``audit.actor_reveal`` checks it)."""

    reason = TextField(required=False, strip=False)


class HolidayYearForm(forms.Form):
    """A year's official schedule, one day a line: ``2027-01-01 元旦 休`` / ``2027-02-07 春节调休 班``."""

    year = forms.IntegerField(label=_("年份"), min_value=1949, max_value=2100)
    schedule = forms.CharField(
        label=_("节假日安排"),
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_("每行一天：日期 名称 休/班。例如“2027-01-01 元旦 休”“2027-02-07 春节调休 班”"),
        max_length=20000,
    )

    def clean_schedule(self):
        text = self.cleaned_data["schedule"]
        holidays, workdays, errors = [], [], []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) < 2:
                errors.append(f"第{number}行：应为“日期 名称 休/班”")
                continue
            try:
                day = dt.date.fromisoformat(parts[0].replace("/", "-"))
            except ValueError:
                errors.append(f"第{number}行：日期“{parts[0]}”无效，应写作 2027-01-01")
                continue
            mark = parts[-1]
            if mark not in ("休", "班"):
                errors.append(f"第{number}行：末尾应为“休”（放假）或“班”（调休上班）")
                continue
            name = " ".join(parts[1:-1])
            if name == "-":
                name = ""
            (holidays if mark == "休" else workdays).append((day, name))
        if errors:
            raise ValidationError(errors)
        if not holidays and not workdays:
            raise ValidationError(_("请至少录入一天"))
        self.holidays, self.workdays = holidays, workdays
        return text

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, messages in exc.message_dict.items():
            field = "year" if key == "year" else "schedule"
            for message in messages:
                self.add_error(field, message)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("原密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )
    new_password = forms.CharField(
        label=_("新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=256,
        help_text=_("至少8位，须包含多种字符类别（大写、小写字母、数字、符号）"),
    )
    new_password2 = forms.CharField(
        label=_("确认新密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        max_length=256,
    )

    def clean(self):
        data = super().clean()
        a, b = data.get("new_password"), data.get("new_password2")
        if a and b and a != b:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, messages in exc.message_dict.items():
            field = {"old_password": "old_password", "password": "new_password"}.get(key)
            for message in messages:
                self.add_error(field, message)


class _ServiceErrorsForm(forms.Form):
    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, messages in exc.message_dict.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)


def _password_field():
    return forms.CharField(
        label=_("当前密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        max_length=256,
    )


class TotpBeginForm(_ServiceErrorsForm):
    """Starting enrolment asks for the password (``accounts.totp_begin`` checks it and counts
    its failures like the login)."""

    password = _password_field()


class TotpConfirmForm(_ServiceErrorsForm):
    code = forms.CharField(
        label=_("动态验证码"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    password = _password_field()


class TotpDisableForm(_ServiceErrorsForm):
    password = _password_field()
