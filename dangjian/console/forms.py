from django import forms
from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _

from dangjian.accounts.services import LoginRefused


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=256)
    otp = forms.CharField(label=_("动态验证码"), required=False, max_length=8)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            user = authenticate(None, username=data["username"], password=data["password"], otp=data.get("otp") or None)
        except LoginRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        if user is None:
            raise forms.ValidationError(_("用户名或密码错误"))
        self.user = user
        return data
