"""The dues console lists, declared once (``web.listing``): the overview (who paid this month,
who is behind) and the remittances upward. Amounts are exported as numbers."""

from __future__ import annotations

from dangjian.web.listing import Column, Table


def _arrears(r) -> str:
    st = r["st"]
    if st.level in ("leave", "warning"):
        return f"连续{len(st.streak)}个月未交"
    return f"{len(st.arrears)}个月" if st.arrears else ""


OVERVIEW = Table(
    title="党费收缴",
    object_type="dues.profile",
    columns=(
        Column("name", "姓名", "member.name", ("name_pinyin", "name")),
        Column("org", "所在党组织", "member.org.name", ("org_path",)),
        Column("category", "党费类别", lambda r: r["st"].category_label or "未设置"),
        Column("monthly", "月交金额（元）", "st.monthly"),
        Column(
            "paid",
            "本月",
            lambda r: "已交" if r["paid_now"] else ("未交" if r["st"].has_profile else ""),
        ),
        Column("arrears", "欠缴", _arrears),
        Column("arrears_months", "欠缴月份", "arrears_text"),
    ),
)

REMITTANCES = Table(
    title="党费上缴",
    object_type="dues.remittance",
    columns=(
        Column("from", "上缴党组织", "from_org.name", ("from_org__path",)),
        Column("to", "接收党组织", "to_org.name", ("to_org__path",)),
        Column("period", "所属期间", "period", ("period",)),
        Column("amount", "金额（元）", "amount", ("amount",)),
        Column("note", "备注", "note"),
        Column(
            "by",
            "登记人",
            lambda r: (r.created_by.real_name or r.created_by.username) if r.created_by else "",
        ),
        Column("at", "上缴时间", "created_at", ("created_at",)),
    ),
)
