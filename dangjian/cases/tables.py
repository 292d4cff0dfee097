"""The events' console lists (the events list and a department's inbox), declared once
(``web.listing``): the columns shown, their ``?sort=`` keys and the Excel export."""

from __future__ import annotations

from dangjian.core.textmask import mask_text
from dangjian.web.listing import Column, Table

_COLUMNS = (
    Column("id", "编号", "pk", ("id",)),
    Column(
        "class",
        "事件类别",
        lambda e: e.event_class.name if e.event_class_id else "未分类",
        ("event_class__sort", "event_class_id"),
    ),
    # masked as the phone pages and the API show it: a description may carry a number
    Column("description", "事件描述", lambda e: mask_text(e.description)),
    Column("grid", "所在网格", "grid.name", ("grid__path",)),
    Column("state", "状态", "get_state_display", ("state",)),
    Column("department", "承办部门", "department_label", ("department__name",)),
    Column("deadline", "处置期限", "deadline", ("deadline",)),
    Column("sla", "时限", "sla_label"),
    Column("reported", "上报时间", "reported_at", ("reported_at",)),
)

EVENTS = Table(title="网格事件", object_type="cases.event", columns=_COLUMNS)
INBOX = Table(title="部门待办事件", object_type="cases.event", columns=_COLUMNS)

# The visit records (驻点直联); ``door`` is set by the view (``visits.door_shown``: whole to
# who may visit there, masked to the others), as on the page.
VISITS = Table(
    title="走访记录",
    object_type="cases.visitrecord",
    columns=(
        Column("date", "日期", "visited_on", ("visited_on",)),
        Column("village", "村(社区)", "village.name", ("village__path",)),
        Column("area", "网格/单元", "area.name", ("area_path",)),
        Column("door", "门牌", "door"),
        Column("visitor", "走访人", "visitor_name", ("visitor_name",)),
        Column("notes", "走访情况", lambda r: mask_text(r.notes)),
        Column("events", "诉求转事件", lambda r: "、".join(f"事件{e.pk}" for e in r.events.all())),
    ),
)
