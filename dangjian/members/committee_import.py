"""Committees from Excel (issue 14): one row per seat — the organization (its code, or its
exact name), the term's start, the election date, the member (name and ID number: the ID
number finds the file, the name must match it), the post and the 专职 flag. Rows with the same
organization and term start form one committee, recorded by ``committee_record`` with every
check it makes (so a committee is never half-recorded).

Modes as the member import: ``all_or_nothing`` (the default) writes nothing when any row or
committee is bad; ``skip_bad`` records the good committees and reports the others, row by row.
Files are read by the one reader (``core.excel.read_rows``)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.core import excel, excel_import
from dangjian.core.crypto import blind_index
from dangjian.core.errors import Conflict
from dangjian.core.excel_import import Column, Table
from dangjian.members.committee_services import MANAGE, committee_record
from dangjian.members.models import Member
from dangjian.members.models.committee import CommitteePost
from dangjian.organizations.models import PartyOrg

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 5_000
MAX_BYTES = 5 * 1024 * 1024
MODES = {"all_or_nothing": "全部成功才导入", "skip_bad": "跳过有错误的委员会"}


TABLE = Table(
    (
        Column(
            "org_code", "党组织代码", False, ("组织代码",), "与党组织名称至少填一项，优先按代码查找"
        ),
        Column("org_name", "党组织名称", False, ("党组织", "组织名称")),
        Column("term_start", "任期开始", True, ("任期开始日期", "本届任期开始"), kind="date"),
        Column("elected_on", "选举日期", False, ("换届日期",), "不填则同任期开始", kind="date"),
        Column("name", "姓名", True, ("委员姓名",)),
        Column("id_number", "身份证号", True, ("公民身份号码", "身份证号码"), "用于查找党员档案"),
        Column("post", "职务", True, (), "、".join(str(x) for x in CommitteePost.labels)),
        Column("full_time", "专职", False, ("是否专职",), "是/否，不填为否"),
    )
)
COLUMNS = TABLE.columns
_HEADER_KEYS = {"term_start", "name", "id_number", "post"}
_POST_BY_LABEL = {str(label): value for value, label in CommitteePost.choices} | {
    v: v for v in CommitteePost.values
}
_YES, _NO = {"是", "专职", "y", "yes", "true", "1"}, {"", "否", "兼职", "n", "no", "false", "0"}


@dataclass
class Group:
    org: PartyOrg
    term_start: dt.date
    elected_on: dt.date | None
    rows: list[int] = field(default_factory=list)
    seats: list[dict] = field(default_factory=list)
    bad: bool = False


@dataclass
class Report:
    mode: str
    total: int = 0
    created: int = 0
    seats: int = 0
    errors: list[dict] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    created_ids: list[int] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append({"row": row, "column": column, "message": message})
        self.bad_rows.add(row)

    def out(self) -> dict:
        if self.errors and self.mode == "all_or_nothing":
            detail = f"有{len(self.bad_rows)}行有错误，未导入任何委员会"
        elif self.errors:
            detail = f"已导入{self.created}个委员会，跳过有错误的{len(self.bad_rows)}行"
        else:
            detail = f"已导入{self.created}个委员会（{self.seats}名委员）"
        return {
            "mode": self.mode,
            "total": self.total,
            "created": self.created,
            "seats": self.seats,
            "bad_rows": len(self.bad_rows),
            "detail": detail,
            "errors": sorted(self.errors, key=lambda e: (e["row"], e["column"])),
            "warnings": self.warnings,
            "created_ids": self.created_ids,
        }


class _Orgs:
    """Organizations the actor manages, looked up by code or exact name, cached."""

    def __init__(self, actor):
        self.qs = PartyOrg.objects.visible_to(actor, MANAGE).defer("contact_phone")
        self.cache: dict[tuple[str, str], PartyOrg | str] = {}

    def find(self, code: str, name: str) -> PartyOrg | str:
        key = (code, name)
        if key not in self.cache:
            self.cache[key] = self._find(code, name)
        return self.cache[key]

    def _find(self, code: str, name: str) -> PartyOrg | str:
        if code:
            hits = list(self.qs.filter(code=code)[:2])
            what = f"代码为{code}的党组织"
        elif name:
            hits = list(self.qs.filter(name=name)[:2])
            what = f"名为{name}的党组织"
        else:
            return "请填写党组织代码或名称"
        if not hits:
            return f"找不到{what}，或您无权管理"
        if len(hits) > 1:
            return f"{what}不止一个，请填写党组织代码"
        return hits[0]


def _date(report, row, col, value, *, required: bool) -> dt.date | None:
    try:
        day = excel.cell_date(value)
    except ValueError:
        report.error(row, col, "日期格式应为 2026-01-31")
        return None
    if day is None and required:
        report.error(row, col, "请填写日期")
    return day


def committees_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Read the workbook, group the rows into committees and record them (see the module)."""
    if mode not in MODES:
        raise ValidationError({"mode": [f"导入方式取值无效，可选：{'、'.join(MODES)}"]})
    rows = excel_import.load(content, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    header, matched = TABLE.find_header(rows, accept=_HEADER_KEYS.issubset)
    if header is None:
        raise excel_import.file_error(
            "找不到表头：须有“任期开始”“姓名”“身份证号”“职务”等列（可下载模板）"
        )
    headers = {c.key: c.header for c in COLUMNS}
    report = Report(mode)
    orgs = _Orgs(actor)
    members_seen = Member.objects.visible_to(actor, "members.view")
    groups: OrderedDict[tuple[int, dt.date], Group] = OrderedDict()
    for row in rows[header.number :]:
        if row.blank:
            continue
        report.total += 1
        n = row.number
        cell = {k: row.get(i) for i, k in matched.items()}
        text = {k: excel.cell_text(v) for k, v in cell.items()}
        before = len(report.errors)
        org = orgs.find(text.get("org_code", ""), text.get("org_name", ""))
        if isinstance(org, str):
            report.error(n, headers["org_code" if text.get("org_code") else "org_name"], org)
        start = _date(report, n, headers["term_start"], cell.get("term_start"), required=True)
        elected = _date(report, n, headers["elected_on"], cell.get("elected_on"), required=False)
        post = _POST_BY_LABEL.get(text.get("post", ""))
        if post is None:
            report.error(
                n,
                headers["post"],
                f"职务取值无效，可选：{'、'.join(map(str, CommitteePost.labels))}",
            )
        flag = text.get("full_time", "").lower()
        if flag not in _YES | _NO:
            report.error(n, headers["full_time"], "专职应填“是”或“否”")
        member = None
        idx = blind_index("id_number", text.get("id_number", ""))
        if not idx:
            report.error(n, headers["id_number"], "请填写身份证号")
        else:
            # Looked up within the importer's reach only: a number filed elsewhere reads as not
            # found, so an import cannot be used to learn whose number it is (issue 19).
            member = members_seen.filter(id_number_index=idx).only("id", "name").first()
            if member is None:
                report.error(n, headers["id_number"], "在您的管理范围内找不到该身份证号的党员档案")
            elif member.name != text.get("name", ""):
                report.error(n, headers["name"], f"姓名与档案不符（档案为{member.name}）")
                member = None
        if isinstance(org, PartyOrg) and start is not None:
            g = groups.setdefault((org.pk, start), Group(org, start, elected))
            g.rows.append(n)
            if len(report.errors) > before:
                g.bad = True
            elif member is not None:
                g.seats.append({"member_id": member.pk, "post": post, "full_time": flag in _YES})
    if report.total > MAX_ROWS:
        raise ValidationError({"file": [f"一次最多导入{MAX_ROWS}行，请拆分后分批导入"]})
    try:
        with transaction.atomic():
            _record(actor, report, groups)
            if report.errors and mode == "all_or_nothing":
                raise _Rollback
    except _Rollback:
        report.created, report.seats, report.created_ids, report.warnings = 0, 0, [], []
    return report.out()


class _Rollback(Exception):
    pass


def _record(actor, report: Report, groups) -> None:
    # Committees of one organization in the order of their terms: an earlier term first.
    for g in sorted(groups.values(), key=lambda g: (g.org.path, g.term_start)):
        if g.bad:
            continue
        first = g.rows[0]
        try:
            with transaction.atomic():
                c = committee_record(
                    actor=actor,
                    org=g.org,
                    term_start=g.term_start,
                    elected_on=g.elected_on,
                    seats=g.seats,
                )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for m in messages:
                    report.error(first, _column_of(key), f"{g.org.name}：{m}")
            report.bad_rows.update(g.rows)
            continue
        except Conflict as exc:
            report.error(first, "任期开始", f"{g.org.name}：{exc.message}")
            report.bad_rows.update(g.rows)
            continue
        report.created += 1
        report.seats += len(g.seats)
        report.created_ids.append(c.pk)
        for w in c.warnings:
            report.warnings.append(
                {"row": first, "column": "职务", "message": f"{g.org.name}：{w}"}
            )


def _column_of(key: str) -> str:
    if key.startswith("seats"):
        return "职务" if key.endswith("post") or key == "seats" else "身份证号"
    return {"term_start": "任期开始", "elected_on": "选举日期", "org": "党组织名称"}.get(key, key)


def template_bytes() -> bytes:
    """The header on the first sheet (the one read), an example committee on a second sheet
    ("示例") and the rules (``excel_import.template_bytes``)."""
    sample = ("", "龙桥社区第一网格党支部", "2026-03-01", "2026-02-26")
    return excel_import.template_bytes(
        TABLE,
        sheet_name="委员会",
        example_sheet="示例",
        examples=[
            [*sample, name, "（身份证号）", post, "否"]
            for name, post in (("张三", "书记"), ("李四", "组织委员"), ("王五", "委员"))
        ],
        notes=["同一党组织、同一任期开始日期的各行组成一届委员会；身份证号用于查找党员档案。"],
    )
