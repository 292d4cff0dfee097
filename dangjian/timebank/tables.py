"""The time bank's console lists, declared once (``web.listing``)."""

from __future__ import annotations

from dangjian.core.crypto import mask
from dangjian.core.textmask import mask_text
from dangjian.web.listing import Column, Table


def _dispatch(o) -> str:
    if o.team_id:
        return o.team.name
    return "报到党员" if o.open_to_checked_in else ""


ORDERS = Table(
    title="志愿服务订单",
    object_type="timebank.order",
    columns=(
        Column("no", "单号", "no", ("no",)),
        Column("class", "服务类别", "get_service_class_display", ("service_class",)),
        Column("description", "需求", lambda o: mask_text(o.description)),
        Column("community", "社区", "community.name", ("community__path",)),
        Column("starts", "开始时间", "starts_at", ("starts_at",)),
        Column("ends", "结束时间", "ends_at"),
        Column("accepted", "已接单人数", "accepted_count", ("accepted_count",)),
        Column("wanted", "需要人数", "helpers_wanted"),
        Column("team", "派单", _dispatch),
        Column("state", "状态", "get_state_display", ("state",)),
    ),
)


TEAMS = Table(
    title="志愿服务队",
    object_type="timebank.volunteerteam",
    columns=(
        Column("name", "名称", "name", ("name",)),
        Column("kind", "类型", "get_kind_display", ("kind",)),
        Column("community", "社区", "community.name", ("area_path",)),
        Column("members", "队员", "member_count", ("member_count",)),
        Column("state", "状态", lambda t: "启用" if t.active else "停用", ("active",)),
    ),
)


STATIONS = Table(
    title="驿站",
    object_type="timebank.station",
    columns=(
        Column("name", "名称", "name", ("name",)),
        Column("kind", "类型", "get_kind_display", ("kind",)),
        Column("area", "所在区域", "area.name", ("area_path",)),
        Column("services", "服务内容", "services"),
        Column("hours", "开放时间", "opening_hours"),
        Column("riders", "登记人员", "rider_count", ("rider_count",)),
    ),
)


TALENTS = Table(
    title="能人榜",
    object_type="timebank.talentoffer",
    columns=(
        Column("name", "姓名", "name", ("name",)),
        Column("community", "所属社区", "community.name", ("area_path", "name")),
        Column("service_class", "服务类别", "get_service_class_display", ("service_class", "name")),
        Column("skill", "特长", "skill", ("skill",)),
        Column("description", "服务说明", lambda t: mask_text(t.description)),
        Column("available", "可服务时间", "available"),
        Column("active", "状态", lambda t: "上榜中" if t.active else "已下榜", ("-active", "name")),
        Column("bookings", "预约次数", "bookings", ("bookings",)),
        Column("created", "登记时间", "created_at", ("created_at",)),
    ),
)


def _rider_phone(r) -> str:
    phone = r.user.phone if r.user_id else ""
    return mask("phone", phone) if phone else ""


# The couriers, riders and drivers registered at the stations (新就业群体): the phone number
# (the account's) masked as the users list masks it, never in clear.
RIDERS = Table(
    title="新就业群体",
    object_type="timebank.rider",
    columns=(
        Column("name", "姓名", "name", ("name",)),
        Column("kind", "类型", "get_kind_display", ("kind",)),
        Column("platform", "平台", "platform", ("platform",)),
        Column("company", "企业", "company", ("company",)),
        Column("station", "驿站", "station.name", ("station__name",)),
        Column("phone", "手机号码", _rider_phone),
        Column(
            "assistant",
            "兼职网格员",
            lambda r: "是" if r.assistant_grid_worker else "否",
            ("assistant_grid_worker",),
        ),
        Column("registered", "登记时间", "registered_at", ("registered_at",)),
    ),
)


# The confirmed service hours grouped as the page groups them (rows computed by
# ``selectors.hours_summary``, sorted in Python by ``web.listing``): the hours as numbers.
HOURS = Table(
    title="志愿服务时长",
    object_type="timebank.participation",
    columns=(
        Column("name", "名称", "name", ("name",)),
        Column("services", "服务次数", "services", ("services",)),
        Column("hours", "时长（小时）", "hours", ("hours",)),
    ),
)
