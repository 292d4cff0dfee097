"""Stations (驿站) and the couriers, riders and drivers registered there (新就业群体), from Excel
(issue 18), through the one import layer (``core.excel_import``).

Every row is checked first (reads only); then one transaction writes the good rows, or none in
``all_or_nothing`` mode when any row is bad. Reach: ``volunteering.manage`` over the station's
area, as ``riders.station_create``; an area or a station outside it reads as not found (a row
error), so an import cannot learn what lies elsewhere.

- Stations: ``riders.station_create``'s checks made on every row, then the stations and
  their audit rows (the same ``timebank.station.create`` row each) written in bulk.
- Riders: the mobile number finds the person's account (a resident's or a member's, by its
  blind index; an account already registered at a station is a row error), or a new resident
  account is opened (username the mobile number, the mobile stored encrypted, a one-time
  password answered once in the report, to be changed at the first login, the resident role
  as a confirmed registration gives it); then the registration at the station. Accounts,
  grants, registrations and their audit rows are written in bulk.

A file holds up to ``MAX_IMPORT_ROWS`` rows: the checks read in a few queries whatever the
size, the writes are a few statements per thousand rows, all in one transaction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.accounts import services as accounts_services
from dangjian.accounts.models import User, UserKind
from dangjian.core import audit, crypto, excel_import, scope, tree
from dangjian.core import excel as core_excel
from dangjian.core.excel_import import Column, Table, text_of
from dangjian.core.validation import one_line
from dangjian.core.validators import validate_mobile
from dangjian.members.models import Member
from dangjian.territory.imports.common import segments
from dangjian.territory.models import Area, AreaKind
from dangjian.timebank.models import Rider, Station, StationKind, WorkerKind
from dangjian.timebank.riders import MANAGE, station_twins, taken_message

MAX_IMPORT_ROWS = 20_000  # every row checked first, then written in bulk in one transaction
BATCH = 1000
MAX_IMPORT_BYTES = 5 * 1024 * 1024
STATION_AREA_KINDS = (AreaKind.COMMUNITY, AreaKind.VILLAGE, AreaKind.GRID, AreaKind.UNIT)
RIDER_ACCOUNT_KINDS = (UserKind.RESIDENT, UserKind.MEMBER)

STATIONS = Table(
    (
        Column("name", "驿站名称", True, ("名称", "驿站"), "必填，不超过100字"),
        Column(
            "kind",
            "类型",
            True,
            ("驿站类型",),
            "必填：爱心驿站、红色驿站或网格驿站",
            kind="choice",
            choices=StationKind,
            value_aliases={"爱心": StationKind.LOVE, "红色": StationKind.RED},
        ),
        Column(
            "area",
            "所在网格",
            True,
            ("网格", "所在区域", "区域", "所在社区"),
            "必填：网格或村（社区）的名称或区划代码，须在您的管理范围内；重名时写成“社区/网格”",
        ),
        Column("location", "位置", False, ("地址", "详细地址"), "选填，不超过200字"),
        Column("services", "服务内容", False, ("服务", "提供服务"), "选填，如“饮水、充电、休息”"),
        Column("opening_hours", "开放时间", False, ("开放时段",), "选填，如“8:00-20:00”"),
    )
)

RIDERS = Table(
    (
        Column("name", "姓名", True, ("真实姓名",), "必填"),
        Column(
            "phone",
            "手机号码",
            True,
            ("手机号", "手机", "联系电话"),
            "必填，11位；已有账号的按手机号码关联，没有的新开账号（首次登录须修改密码）",
        ),
        Column(
            "kind",
            "类型",
            True,
            ("人员类型", "从业类型"),
            "必填：快递员、外卖骑手或网约车司机",
            kind="choice",
            choices=WorkerKind,
            value_aliases={
                "快递": WorkerKind.COURIER,
                "骑手": WorkerKind.RIDER,
                "外卖员": WorkerKind.RIDER,
                "司机": WorkerKind.DRIVER,
            },
        ),
        Column("platform", "平台", True, ("所属平台",), "必填，如“美团”“顺丰”"),
        Column("company", "所属企业", False, ("企业", "公司", "站点"), "选填"),
        Column(
            "station",
            "报到驿站",
            True,
            ("驿站", "驿站名称"),
            "必填：驿站名称，须在您的管理范围内；重名时写成“网格/驿站名称”",
        ),
    )
)


def _require_reach(actor, what: str) -> list[str]:
    paths = scope.reach_of(actor, MANAGE).area_paths
    if not paths:
        raise scope.Forbidden(f"您没有{what}的权限")
    return paths


def _within(paths: list[str], path: str) -> bool:
    return any(tree.is_within(path, root) for root in paths)


def _parse(content: bytes, table: Table, hint: str) -> excel_import.Sheet:
    return excel_import.parse_sheet(
        content, table, hint=hint, max_rows=MAX_IMPORT_ROWS, max_bytes=MAX_IMPORT_BYTES
    )


def _write_and_report(
    actor,
    sheet,
    mode: str,
    problems,
    kind: str,
    what: str,
    write,
    nothing: dict | None = None,
    recheck=None,
) -> dict:
    """One transaction: ``write()`` (answering the objects written and the report's extra
    keys) unless all-or-nothing meets a bad row, then the row report and its summary audit
    row (``timebank.<kind>s.import``). Someone else registering a number or a name between
    the checks and the write breaks a unique key and rolls the transaction back: ``recheck()``
    (when given) then names the rows now taken as row errors, drops them from the write and
    answers whether it found any; if it did, the file goes once more through the same path
    (all-or-nothing then writes nothing and reports those rows). Otherwise, or a second time,
    the file is refused, nothing written."""
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                created, extra = [], dict(nothing or {})
                if not (problems and mode == "all_or_nothing"):
                    created, extra = write()
                return _report(actor, sheet, mode, problems, kind, what, created, extra)
        except IntegrityError as exc:
            if attempt == 2 or recheck is None or not recheck():
                raise excel_import.file_error(
                    "导入期间有数据被他人登记，请重新导入以查看具体行"
                ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _report(actor, sheet, mode, problems, kind, what, created, extra) -> dict:
    return excel_import.report(
        actor=actor,
        action=f"timebank.{kind}s.import",
        object_type=f"timebank.{kind}",
        what=what,
        sheet=sheet,
        mode=mode,
        problems=problems,
        outcome=excel_import.Outcome(created=len(created)),
        created_ids=[o.pk for o in created],
        **extra,
    )


# --- stations ----------------------------------------------------------------------------------


def _areas(texts: set[str], paths: list[str]) -> dict[str, list[Area]]:
    """Each text (a code, a name, or "社区/网格") → the areas of a station's kind it names
    within the reach."""
    last = {segments(t)[-1] for t in texts if segments(t)}
    qs = Area.objects.filter(kind__in=STATION_AREA_KINDS, closed_on__isnull=True).defer("boundary")
    found = [
        a for a in qs.filter(code__in=texts) | qs.filter(name__in=last) if _within(paths, a.path)
    ]
    parents = {
        a.pk: a.name
        for a in Area.objects.filter(pk__in={a.parent_id for a in found if a.parent_id}).only(
            "pk", "name"
        )
    }
    by_key: dict[str, list[Area]] = {}
    for a in found:
        by_key.setdefault(a.name, []).append(a)
        if a.code and a.code != a.name:
            by_key.setdefault(a.code, []).append(a)
    out: dict[str, list[Area]] = {}
    for text in texts:
        names = segments(text)
        candidates = by_key.get(text, []) + (
            by_key.get(names[-1], []) if names and names[-1] != text else []
        )
        out[text] = list(
            {
                a.pk: a
                for a in candidates
                if a.code == text
                or (
                    names
                    and a.name == names[-1]
                    and (len(names) == 1 or parents.get(a.parent_id) == names[-2])
                )
            }.values()
        )
    return out


def _pick(problems, n: int, key: str, text: str, found: list, what: str, hint: str):
    if not text:
        problems.add(n, key, f"请填写{what}")
    elif not found:
        problems.add(n, key, f"未找到{what}“{text}”，或不在您的管理范围内")
    elif len(found) > 1:
        problems.add(n, key, f"{what}“{text}”有重名，{hint}")
    else:
        return found[0]
    return None


def _read_choice(problems, n: int, table: Table, key: str, value):
    if core_excel.is_blank(value):
        problems.add(n, key, f"请填写{table.by_key[key].header}")
        return None
    code, error = excel_import.read_choice(table, table.by_key[key], value)
    if error:
        problems.add(n, key, error)
    return code


def stations_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Import stations; answers the row report (``created_ids`` the new stations)."""
    excel_import.check_mode(mode)
    paths = _require_reach(actor, "导入驿站")
    sheet = _parse(content, STATIONS, "“驿站名称”“类型”“所在网格”")
    problems = excel_import.Problems(sheet)
    areas = _areas({text_of(r.values.get("area")) for r in sheet.rows} - {""}, paths)
    existing = station_twins({a.pk for found in areas.values() for a in found})
    seen: dict[tuple, int] = {}
    good = []
    for row in sheet.rows:
        v, n = row.values, row.number
        name = one_line(core_excel.cell_text(v.get("name")))
        if not name:
            problems.add(n, "name", "请填写驿站名称")
        elif len(name) > 100:
            problems.add(n, "name", "驿站名称不能超过100个字")
        kind = _read_choice(problems, n, STATIONS, "kind", v.get("kind"))
        area_text = text_of(v.get("area"))
        area = _pick(
            problems, n, "area", area_text, areas.get(area_text, []), "网格", "请写成“社区/网格”"
        )
        fields = {k: one_line(core_excel.cell_text(v.get(k))) for k in STATIONS.by_key}
        for key, limit in (("location", 200), ("services", 500), ("opening_hours", 100)):
            if len(fields[key]) > limit:
                problems.add(n, key, f"{STATIONS.by_key[key].header}不能超过{limit}个字")
        if area is not None and name:
            if (area.pk, name) in existing:
                problems.add(n, "name", taken_message(area, name))
            elif (area.pk, name) in seen:
                problems.add(n, "name", f"与第{seen[(area.pk, name)]}行的驿站重复")
            else:
                seen[(area.pk, name)] = n
        if n not in problems.rows:
            good.append((n, area, name, kind, fields))

    def recheck() -> bool:
        """The rows whose (area, name) another registration or import took since the checks."""
        taken = station_twins({g[1].pk for g in good})
        lost = [g for g in good if (g[1].pk, g[2]) in taken]
        for n, area, name, _kind, _fields in lost:
            problems.add(n, "name", taken_message(area, name))
        good[:] = [g for g in good if (g[1].pk, g[2]) not in taken]
        return bool(lost)

    return _write_and_report(
        actor,
        sheet,
        mode,
        problems,
        "station",
        "驿站",
        lambda: (_write_stations(actor, good), {}),
        recheck=recheck,
    )


def _write_stations(actor, good: list) -> list[Station]:
    """The checked rows written in bulk: the stations and one audit row each, as
    ``riders.station_create`` writes them (its checks were made on every row above)."""
    stations = Station.objects.bulk_create(
        [
            Station(
                name=name,
                kind=kind,
                area=area,
                area_path=area.path,
                location=fields["location"],
                services=fields["services"],
                opening_hours=fields["opening_hours"],
            )
            for _n, area, name, kind, fields in good
        ],
        batch_size=BATCH,
    )
    audit.record_many(
        actor=actor,
        action="timebank.station.create",
        rows=({"obj": s, "after": {"name": s.name}} for s in stations),
    )
    return stations


# --- riders ------------------------------------------------------------------------------------


def _stations(texts: set[str], actor) -> dict[str, list[Station]]:
    """Each text (a station's name, or "网格/驿站名称") → the active stations it names that the
    actor manages."""
    last = {segments(t)[-1] for t in texts if segments(t)}
    found = list(
        Station.objects.visible_to(actor, MANAGE)
        .filter(name__in=last, active=True)
        .select_related("area")
    )
    by_name: dict[str, list[Station]] = {}
    for s in found:
        by_name.setdefault(s.name, []).append(s)
    out: dict[str, list[Station]] = {}
    for text in texts:
        names = segments(text)
        out[text] = [
            s
            for s in (by_name.get(names[-1], []) if names else [])
            if len(names) == 1 or s.area.name == names[-2]
        ]
    return out


def _mobile(problems, n: int, value) -> str:
    phone = core_excel.cell_text(value).replace(" ", "").replace("-", "")
    if not phone:
        problems.add(n, "phone", "请填写手机号码")
        return ""
    try:
        validate_mobile(phone)
    except ValidationError as exc:
        problems.add(n, "phone", exc.messages[0])
        return ""
    return phone


def riders_import(*, actor, content: bytes, mode: str = "all_or_nothing") -> dict:
    """Import couriers, riders and drivers; answers the row report with ``created_ids`` (the
    registrations) and ``accounts`` (the accounts opened: ``row``, ``id``, ``username``,
    ``real_name``, ``one_time_password``, shown once)."""
    excel_import.check_mode(mode)
    _require_reach(actor, "导入新就业群体")
    sheet = _parse(content, RIDERS, "“姓名”“手机号码”“类型”“报到驿站”")
    problems = excel_import.Problems(sheet)
    stations = _stations({text_of(r.values.get("station")) for r in sheet.rows} - {""}, actor)
    checked, seen = [], {}
    for row in sheet.rows:
        v, n = row.values, row.number
        name = one_line(core_excel.cell_text(v.get("name")))
        if not name:
            problems.add(n, "name", "请填写姓名")
        elif len(name) > 50:
            problems.add(n, "name", "姓名不能超过50个字")
        phone = _mobile(problems, n, v.get("phone"))
        if phone in seen:
            problems.add(n, "phone", f"与第{seen[phone]}行的手机号码重复")
        elif phone:
            seen[phone] = n
        kind = _read_choice(problems, n, RIDERS, "kind", v.get("kind"))
        platform = one_line(core_excel.cell_text(v.get("platform")))
        if not platform:
            problems.add(n, "platform", "请填写平台")
        elif len(platform) > 50:
            problems.add(n, "platform", "平台不能超过50个字")
        company = one_line(core_excel.cell_text(v.get("company")))
        if len(company) > 100:
            problems.add(n, "company", "所属企业不能超过100个字")
        text = text_of(v.get("station"))
        station = _pick(
            problems, n, "station", text, stations.get(text, []), "驿站", "请写成“网格/驿站名称”"
        )
        checked.append((n, name, phone, kind, platform, company, station))
    indexes = {crypto.blind_index("phone", p): p for p in seen}
    accounts = {
        indexes[u.phone_index]: u
        for u in User.objects.filter(phone_index__in=list(indexes)).only(
            "pk", "kind", "phone_index", "username"
        )
    }
    registered = set(
        Rider.objects.filter(user_id__in=[u.pk for u in accounts.values()]).values_list(
            "user_id", flat=True
        )
    )
    taken = set(User.objects.filter(username__in=list(seen)).values_list("username", flat=True))
    good = []
    for n, name, phone, kind, platform, company, station in checked:
        user = accounts.get(phone)
        if user is not None and user.pk in registered:
            problems.add(n, "phone", "该手机号码已在驿站登记")
        elif user is not None and user.kind not in RIDER_ACCOUNT_KINDS:
            problems.add(n, "phone", "该手机号码是工作人员账号，不能登记为新就业群体")
        elif user is None and phone in taken:
            problems.add(n, "phone", "该手机号码已被用作其他账号的用户名")
        if n not in problems.rows:
            good.append((n, name, phone, kind, platform, company, station, user))
    return _write_and_report(
        actor,
        sheet,
        mode,
        problems,
        "rider",
        "新就业群体",
        lambda: _write_riders(actor, good),
        nothing={"accounts": []},
    )


def _write_riders(actor, good: list) -> tuple[list[Rider], dict]:
    """The checked rows written in bulk: the accounts opened for new numbers
    (``accounts.services.resident_accounts_open``), the registrations and one audit row each,
    as ``riders.rider_register`` writes them."""
    members = set(
        Member.objects.filter(user_id__in=[g[7].pk for g in good if g[7] is not None]).values_list(
            "user_id", flat=True
        )
    )
    new = [g for g in good if g[7] is None]
    accounts = accounts_services.resident_accounts_open(
        actor=actor,
        people=[(name, phone, station.area) for _n, name, phone, _k, _p, _c, station, _u in new],
        note="新就业群体Excel导入",
    )
    opened = [
        {
            "row": g[0],
            "id": user.pk,
            "username": user.username,
            "real_name": g[1],
            "one_time_password": password,
        }
        for g, (user, password) in zip(new, accounts, strict=True)
    ]
    users = iter(user for user, _password in accounts)
    riders = []
    for _n, name, _phone, kind, platform, company, station, user in good:
        user = user if user is not None else next(users)
        riders.append(
            Rider(
                user=user,
                name=name[:50],
                kind=kind,
                platform=platform,
                company=company,
                station=station,
                area_path=station.area_path,
                is_party_member=user.pk in members,
            )
        )
    created = Rider.objects.bulk_create(riders, batch_size=BATCH)
    audit.record_many(
        actor=actor,
        action="timebank.rider.register",
        rows=(
            {"obj": r, "after": {"kind": r.kind, "station_id": r.station_id}, "note": "Excel导入"}
            for r in created
        ),
    )
    return created, {"accounts": opened}


def _template(table: Table, sheet_name: str, *notes: str) -> bytes:
    """The import template: the columns, then the notes numbered between the header note and
    the modes' note."""
    lines = ["第一行为列名，请勿修改；可增加其他列，导入时忽略。", *notes, excel_import.MODE_NOTE]
    return excel_import.template_bytes(
        table,
        sheet_name=sheet_name,
        dropdown_rows=MAX_IMPORT_ROWS,
        notes=[f"{n}. {line}" for n, line in enumerate(lines, start=1)],
    )


def stations_template() -> bytes:
    return _template(
        STATIONS, "驿站", "所在网格须在系统中且在您的管理范围内；同一网格内驿站不能重名。"
    )


def riders_template() -> bytes:
    return _template(
        RIDERS,
        "新就业群体",
        "报到驿站须已在系统中且在您的管理范围内。",
        "手机号码加密保存；已有账号的按手机号码关联，没有的新开账号，一次性密码仅在"
        "导入结果中显示一次，首次登录须修改。",
        "同一手机号码在文件中只能出现一次，且不能已在驿站登记。",
    )
