"""``manage.py createadmin``: a system administrator with grants on every root of both trees.

Not a Django superuser: like every account it reads data only through its grants (DESIGN.md,
"Data scope"). Interactive, or ``--username NAME --password PASS`` for scripts.
"""

from __future__ import annotations

import getpass

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from dangjian.accounts import services
from dangjian.accounts.models import User, UserKind
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [m for msgs in exc.message_dict.values() for m in msgs]
    return list(exc.messages)


def check_username(username: str) -> None:
    if not username:
        raise ValidationError("用户名不能为空")
    if len(username) > 150:
        raise ValidationError("用户名不能超过150个字符")
    try:
        User.username_validator(username)
    except ValidationError as exc:
        raise ValidationError("用户名只能包含字母、数字和 @ . + - _") from exc
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"用户名“{username}”已被使用")


def check_password(password: str, username: str) -> None:
    password_validation.validate_password(password, User(username=username))


@transaction.atomic
def create_admin(*, username: str, password: str, real_name: str = "") -> tuple[User, int]:
    """Create the administrator and grant system_admin on every root Area and root PartyOrg.

    Returns (user, number of grants). Both go through the accounts services with actor=None:
    the operator's own command, audited like any other write.
    """
    check_username(username)
    check_password(password, username)
    roots = list(Area.objects.filter(parent__isnull=True).order_by("path"))
    user = services.user_create(
        actor=None,
        username=username,
        password=password,
        real_name=real_name,
        kind=UserKind.STAFF,
        area=roots[0] if roots else None,
    )
    n = 0
    for area in roots:
        services.grant_add(actor=None, user=user, role_code="system_admin", area=area)
        n += 1
    for org in PartyOrg.objects.filter(parent__isnull=True).order_by("path"):
        services.grant_add(actor=None, user=user, role_code="system_admin", org=org)
        n += 1
    return user, n


class Command(BaseCommand):
    help = "创建系统管理员（授权在每个根区域和根党组织上，不是超级用户）。"

    def add_arguments(self, parser):
        parser.add_argument("--username", help="用户名")
        parser.add_argument("--password", help="密码（不提供则交互输入）")
        parser.add_argument("--real-name", default="", help="姓名")
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_true",
            dest="no_input",
            help="不交互：缺少用户名或密码时报错",
        )

    def handle(self, *args, username, password, real_name, no_input, **options):
        with translation.override("zh-hans"):
            interactive = not no_input and (username is None or password is None)
            if not interactive and (not username or password is None):
                raise CommandError("非交互模式须同时提供 --username 和 --password")
            username = self._ask_username(username, interactive)
            password = self._ask_password(password, username, interactive)
            try:
                user, n = create_admin(username=username, password=password, real_name=real_name)
            except ValidationError as exc:
                raise CommandError("；".join(_messages(exc))) from exc
            self.stdout.write(
                self.style.SUCCESS(f"已创建系统管理员 {user.username}，授权 {n} 条。")
            )
            if n == 0:
                self.stdout.write(
                    self.style.WARNING(
                        "数据库中还没有根区域或根党组织，该管理员暂无授权；建立区域后请再为其授权。"
                    )
                )

    def _ask_username(self, username, interactive):
        while True:
            if username is None and interactive:
                username = input("用户名 [admin]: ").strip() or "admin"
            username = (username or "").strip()
            try:
                check_username(username)
                return username
            except ValidationError as exc:
                if not interactive:
                    raise CommandError("；".join(_messages(exc))) from exc
                self.stderr.write("错误：" + "；".join(_messages(exc)))
                username = None

    def _ask_password(self, password, username, interactive):
        while True:
            if password is None and interactive:
                password = getpass.getpass("密码: ")
                again = getpass.getpass("再次输入密码: ")
                if password != again:
                    self.stderr.write("错误：两次输入的密码不一致")
                    password = None
                    continue
            try:
                check_password(password or "", username)
                return password
            except ValidationError as exc:
                if not interactive:
                    raise CommandError("密码不符合要求：" + "；".join(_messages(exc))) from exc
                self.stderr.write("错误：" + "；".join(_messages(exc)))
                password = None
