import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MixedClassesValidator:
    """At least three of: upper case, lower case, digits, other characters."""

    classes = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")

    def validate(self, password, user=None):
        present = sum(1 for pattern in self.classes if re.search(pattern, password or ""))
        if present < 3:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少三类"), code="password_classes"
            )

    def get_help_text(self):
        return _("密码至少8位，须包含大写字母、小写字母、数字、符号中的至少三类。")


class MinimumLengthValidator:
    """At least ``min_length`` characters.

    Django's own validator changed its message in 5.2 and the zh-hans catalog still carries the
    old one, so its message reaches users in English; this one says it in Chinese.
    """

    def __init__(self, min_length: int = 8):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password or "") < self.min_length:
            raise ValidationError(
                _("密码太短，至少需要%(min_length)d个字符"),
                code="password_too_short",
                params={"min_length": self.min_length},
            )

    def get_help_text(self):
        return _("密码至少需要%(min_length)d个字符。") % {"min_length": self.min_length}


class DemoPasswordValidator:
    """The demo password (settings DEMO_PASSWORD) is refused outside demo mode."""

    def validate(self, password, user=None):
        from dangjian.core.conf import setting

        demo = setting("DEMO_PASSWORD", "")
        if demo and password == demo and not setting("DEMO_MODE", False):
            raise ValidationError(_("不能使用演示环境的公开密码，请另设密码"), code="password_demo")

    def get_help_text(self):
        return _("不能使用演示环境的公开密码。")
