"""The accounts' console lists, declared once (``web.listing``): the users list (phone numbers
masked as on the page)."""

from __future__ import annotations

from dangjian.core.crypto import mask
from dangjian.web.listing import Column, Table


def _state(u) -> str:
    text = "启用" if u.is_active else "停用"
    return text + ("，待改密码" if u.must_change_password else "")


USERS = Table(
    title="用户",
    object_type="accounts.user",
    columns=(
        Column("username", "用户名", "username", ("username",)),
        Column("name", "姓名", "real_name", ("real_name",)),
        Column("kind", "账号类型", "get_kind_display", ("kind",)),
        Column("area", "所属区域", "area.name", ("area_path",)),
        Column("department", "所属部门", "department.name", ("department__name",)),
        Column("phone", "手机号码", lambda u: mask("phone", u.phone) if u.phone else ""),
        Column("state", "状态", _state, ("is_active",)),
    ),
)


DEPARTMENTS = Table(
    title="职能部门",
    object_type="accounts.department",
    columns=(
        Column("name", "名称", "name", ("name",)),
        Column("area", "所在区域", "area_name", ("area_path",)),
        Column("served", "服务区域", "served_names"),
        Column("state", "状态", lambda d: "启用" if d.active else "停用", ("active",)),
    ),
)


def _decision(r) -> str:
    text = r.get_state_display()
    return text + (f"（{r.reason}）" if r.reason else "")


REGISTRATIONS = Table(
    title="居民注册",
    object_type="accounts.registration",
    columns=(
        Column("name", "姓名", "name", ("name",)),
        Column("area", "网格", "area.name", ("area_path",)),
        Column("phone", "手机号码", lambda r: mask("phone", r.phone) if r.phone else ""),
        Column("created", "申请时间", "created_at", ("created_at",)),
        Column("state", "状态", _decision, ("state",)),
    ),
)


INVITATIONS = Table(
    title="网格邀请码",
    object_type="accounts.invitation",
    columns=(
        Column("area", "网格", "area.name", ("area_path",)),
        Column("code", "邀请码", "code", ("code",)),
        Column("created", "生成时间", "created_at", ("created_at",)),
        Column("url", "注册地址", "url"),
    ),
    default=("area_path",),
)
