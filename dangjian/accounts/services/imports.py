"""Users from a spreadsheet (a street's grid workers): every row checked first, then one
transaction writes the good rows, or none in all-or-nothing mode when any row is bad.

Columns (row 1, ``*`` marks the required ones): 姓名*, 手机号码*, 所属区域* (the 12-digit
division code or the name of a node one manages accounts in; a name that is not unique asks
for the code), 角色 (a role's name or code; default 网格员, granted at that node), 用户名
(default: the mobile number), 截止日期 (the grant's last day). Each new account gets a
one-time password, answered once in the report and never stored in clear; it must be changed
at the first login.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.accounts.models import Grant, Role, User, UserKind, grants_bump
from dangjian.accounts.roles import ROLE_BY_CODE, ROLES
from dangjian.accounts.services.grants import missing_action
from dangjian.accounts.services.people import one_time_password
from dangjian.core import audit, crypto, excel_import, scope
from dangjian.core import excel as core_excel
from dangjian.core.excel_import import Column, Table
from dangjian.core.validation import Errors, one_line
from dangjian.core.validators import validate_mobile
from dangjian.territory.models import Area

MAX_IMPORT_ROWS = 2000
MAX_IMPORT_BYTES = 5 * 1024 * 1024

TABLE = Table(
    (
        Column("real_name", "姓名", True, ("真实姓名",)),
        Column("phone", "手机号码", True, ("手机号", "手机", "联系电话", "电话")),
        Column(
            "area",
            "所属区域",
            True,
            ("网格", "所属网格", "区域", "区划代码"),
            "区划代码或区域名称（须在您的管理范围内；名称重名时请填写区划代码）",
        ),
        Column("role", "角色", False, ("授予角色",), "默认“网格员”，授予在所属区域"),
        Column("username", "用户名", False, ("登录名", "账号"), "默认使用手机号码"),
        Column("ends_on", "截止日期", False, ("授权截止日期",), "YYYY-MM-DD，可不填", kind="date"),
    )
)
_ROLE_BY_NAME = {r.name: r.code for r in ROLES}
_SUBTREE_ROLES = {r.code for r in ROLES if r.reach == "subtree"}


def template_bytes() -> bytes:
    return excel_import.template_bytes(
        TABLE,
        sheet_name="用户",
        examples=[["张三", "13800138000", "龙桥社区第一网格", "网格员", "", ""]],
        notes=[
            "带*的列必填；第2行为示例，导入前请删除。",
            "所属区域：填写区划代码或区域名称（须在您的管理范围内；名称重名时请填写区划代码）。",
            "角色：默认“网格员”，授予在所属区域；只能授予您在该区域拥有全部权限的角色。",
            "用户名：默认使用手机号码。",
            "截止日期：授权的最后一天，格式YYYY-MM-DD，可不填。",
            "每个新账号生成一次性密码，仅在导入结果中显示一次，首次登录须修改。",
        ],
    )


def _areas(actor, wanted: set[str]) -> dict[str, list[Area]]:
    """Each code or name → the nodes it names that the actor manages accounts in."""
    if not wanted:
        return {}
    out: dict[str, list[Area]] = {w: [] for w in wanted}
    qs = Area.objects.visible_to(actor, "accounts.manage").defer("boundary")
    for a in qs.filter(code__in=wanted):
        out[a.code].append(a)
    for a in qs.filter(name__in=wanted):
        if a not in out[a.name]:
            out[a.name].append(a)
    return out


def users_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Import users; answers ``{"created", "total", "bad_rows", "mode", "detail", "errors":
    [{"row", "column", "message"}], "ignored_columns", "accounts": [{"row", "id", "username",
    "real_name", "one_time_password"}]}``."""
    excel_import.check_mode(mode)
    if not scope.reach_of(actor, "accounts.manage").area_paths:
        raise scope.Forbidden(_("您没有导入用户的权限"))
    rows = excel_import.load(content, max_rows=MAX_IMPORT_ROWS, header_room=1)
    if not rows or rows[0].blank:
        raise excel_import.file_error("第1行应为列名（姓名、手机号码、所属区域……）")
    matched = TABLE.match(rows[0].values)
    missing = TABLE.missing(set(matched.values()))
    if missing:
        raise excel_import.file_error(f"缺少必填列：{'、'.join(missing)}")
    sheet = excel_import.sheet_of(TABLE, rows, rows[0], matched, max_rows=MAX_IMPORT_ROWS)
    data = sheet.rows

    def cell(row, key):
        return row.values.get(key, "")

    areas = _areas(actor, {core_excel.cell_text(cell(r, "area")) for r in data} - {""})
    today = timezone.localdate()
    problems = excel_import.Problems(TABLE)
    good: list[dict] = []
    seen_users: dict[str, int] = {}
    seen_phones: dict[str, int] = {}
    prepared = []
    for row in data:
        errors = Errors()
        name = one_line(core_excel.cell_text(cell(row, "real_name")))[:50]
        if not name:
            errors.add("real_name", "姓名不能为空")
        phone = core_excel.cell_text(cell(row, "phone")).replace(" ", "").replace("-", "")
        if not phone:
            errors.add("phone", "手机号码不能为空")
        else:
            try:
                validate_mobile(phone)
            except ValidationError as exc:
                errors.add("phone", exc.messages[0])
        area_text = core_excel.cell_text(cell(row, "area"))
        area = None
        if not area_text:
            errors.add("area", "所属区域不能为空")
        else:
            found = areas.get(area_text, [])
            if not found:
                errors.add("area", f"未找到区域“{area_text}”，或不在您的管理范围内")
            elif len(found) > 1:
                errors.add("area", f"区域名称“{area_text}”不唯一，请填写区划代码")
            else:
                area = found[0]
        role_text = core_excel.cell_text(cell(row, "role")) or "网格员"
        role_code = _ROLE_BY_NAME.get(role_text, role_text)
        if role_code not in _SUBTREE_ROLES:
            errors.add("role", f"角色“{role_text}”不存在或不能授予在区域上")
        elif area is not None:
            lacking = missing_action(actor, ROLE_BY_CODE[role_code], area=area)
            if lacking:
                errors.add("role", f"不能授予超出本人权限的角色：您在该区域没有“{lacking}”权限")
        username = one_line(core_excel.cell_text(cell(row, "username")))[:150] or phone
        ends_on = None
        try:
            ends_on = core_excel.cell_date(cell(row, "ends_on"))
        except ValueError:
            errors.add("ends_on", "日期格式应为YYYY-MM-DD")
        if ends_on is not None and ends_on < today:
            errors.add("ends_on", "截止日期不能早于今天")
        if username:
            if username in seen_users:
                errors.add("username", f"与第{seen_users[username]}行的用户名重复")
            else:
                seen_users[username] = row.number
        if phone and "phone" not in errors:
            if phone in seen_phones:
                errors.add("phone", f"与第{seen_phones[phone]}行的手机号码重复")
            else:
                seen_phones[phone] = row.number
        prepared.append(
            (
                row,
                errors,
                {
                    "real_name": name,
                    "phone": phone,
                    "area": area,
                    "role": role_code,
                    "username": username,
                    "ends_on": ends_on,
                },
            )
        )
    taken = set(
        User.objects.filter(username__in=list(seen_users)).values_list("username", flat=True)
    )
    phone_taken = set(
        User.objects.filter(
            phone_index__in=[crypto.blind_index("phone", p) for p in seen_phones]
        ).values_list("phone_index", flat=True)
    )
    for row, errors, values in prepared:
        if values["username"] in taken and "username" not in errors:
            errors.add("username", "用户名已被使用")
        if (
            values["phone"]
            and "phone" not in errors
            and crypto.blind_index("phone", values["phone"]) in phone_taken
        ):
            errors.add("phone", "该手机号码已有账号")
        for key, messages in errors.items():
            for message in messages:
                problems.add(row.number, key, message)
        if not errors:
            good.append({"row": row.number, **values})
    with transaction.atomic():
        return _write(actor, mode, len(data), good, problems.sorted(), sheet.ignored)


def _write(actor, mode, total, good, problems, ignored) -> dict:
    accounts: list[dict] = []
    if not (problems and mode == "all_or_nothing"):
        now = timezone.now()
        roles = {r.code: r for r in Role.objects.filter(code__in={g["role"] for g in good})}
        users, passwords = [], []
        for g in good:
            password = one_time_password()
            u = User(
                username=g["username"],
                real_name=g["real_name"],
                kind=UserKind.STAFF,
                area=g["area"],
                area_path=g["area"].path,
                password=make_password(password),
                password_changed_at=now,
                must_change_password=True,
                phone=g["phone"],
                phone_index=crypto.blind_index("phone", g["phone"]),
            )
            users.append(u)
            passwords.append(password)
        User.objects.bulk_create(users)
        if users and users[0].pk is None:  # a backend that does not return ids
            by_name = dict(
                User.objects.filter(username__in=[u.username for u in users]).values_list(
                    "username", "pk"
                )
            )
            for u in users:
                u.pk = by_name[u.username]
        Grant.objects.bulk_create(
            [
                Grant(
                    user=u,
                    role=roles[g["role"]],
                    area=g["area"],
                    ends_on=g["ends_on"],
                    granted_by=actor,
                )
                for u, g in zip(users, good, strict=True)
            ]
        )
        grants_bump([u.pk for u in users])
        visible = User.objects.visible_to(actor, "accounts.manage").filter(
            pk__in=[u.pk for u in users]
        )
        if visible.count() != len(users):
            from django.http import Http404

            raise Http404("未找到")
        for u, g, password in zip(users, good, passwords, strict=True):
            audit.record(
                actor=actor,
                action="user.create",
                obj=u,
                after={**audit.snapshot(u), "grant": {"role": g["role"], "area_id": u.area_id}},
                note=_("批量导入"),
            )
            accounts.append(
                {
                    "row": g["row"],
                    "id": u.pk,
                    "username": u.username,
                    "real_name": u.real_name,
                    "one_time_password": password,
                }
            )
    bad_rows = len({p["row"] for p in problems})
    detail = excel_import.summary(total=total, done=len(accounts), bad_rows=bad_rows, mode=mode)
    audit.record(
        actor=actor,
        action="users.import",
        object_type="accounts.user",
        object_repr=detail[:200],
        area_path=actor.area_path if getattr(actor, "area_path", "") else "",
        after={"created": len(accounts), "bad_rows": bad_rows, "mode": mode},
    )
    return {
        "created": len(accounts),
        "total": total,
        "bad_rows": bad_rows,
        "mode": mode,
        "detail": detail,
        "errors": problems,
        "ignored_columns": ignored,
        "accounts": accounts,
    }


__all__ = ["MAX_IMPORT_BYTES", "template_bytes", "users_import"]
