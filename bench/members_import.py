"""The member import (``members.services.members_import``) on a 100,000-row workbook, against
django-import-export doing the same import and against a bare ``bulk_create``.

The workbook matches the import template (its headers, ID and phone numbers as text, dates as
date cells): valid members of the seeded city, filed in grid branches and village
organizations with unique names, living in a unit named "网格/单元", with valid GB 11643 ID
numbers of an area code the demo never uses (110101), so none is a duplicate.

- ours: the whole import as the API runs it (read the file with python-calamine, check every
  cell and row, batch the look-ups, write the members, their categories and one audit row
  each, with COPY on PostgreSQL and multi-row INSERTs on SQLite) in one transaction, rolled
  back afterwards. The web route refuses files over 20,000 rows or 10 MB (a heavy import
  belongs to a background task); the benchmark lifts both limits for its one file.
- django-import-export: a ``ModelResource`` whose ``before_import_row`` runs the same cell
  parsing and ``clean_member_fields``, the duplicate check through the blind index and the
  organization and residence look-ups; ``after_save_instance`` writes the categories and the
  audit row. Defaults otherwise (one row at a time), except ``skip_diff`` and
  ``force_init_instance`` (both only make it faster). It reads the same rows through
  python-calamine (its own xlsx reader would need openpyxl, and is slower): the comparison is
  of the import itself. It runs on the first 10,000 rows; the figure compared is rows/s.
- bare ``bulk_create``: the already-parsed rows (read and matched beforehand, not timed) made
  into ``Member`` objects and written with ``bulk_create`` (encryption by the field included,
  no checks, no blind index, no audit), with their categories.

Targets: ours ≥ 10× the rows/s of django-import-export; ours ≤ 3× the bare bulk_create time.

Ours, the bare write and django-import-export run ``REPEAT`` times each, taking turns (ours,
bare, import-export, ours, ...), and the medians are compared: on a machine shared with other
work, one run of each in a row mostly measures how the load moved in between. The row-by-row
variant of import-export runs once, at the end.

Run: ``python -m bench.members_import <sqlite|postgresql> [scale] [rows] [ie_rows] [naive_rows]``
(a fresh database, seeded at ``scale``; ``BENCH_DATABASE_URL`` for PostgreSQL,
``BENCH_SQLITE_PATH`` for another SQLite file, ``BENCH_IMPORT_REPEAT`` for the turns).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time

from bench import common

ROWS = 100_000
IE_ROWS = 10_000
NAIVE_ROWS = 2_000
AREA_CODE = "110101"  # never used by the demo city
IE_TARGET = 10.0
BARE_TARGET = 3.0
REPEAT = int(os.environ.get("BENCH_IMPORT_REPEAT", 3))


class _Rollback(Exception):
    pass


# Seconds of this process's CPU of each timed run, the latest last: on a loaded
# machine the wall time mostly measures the wait for a core; on SQLite (in-process) the CPU
# time is the work itself. On PostgreSQL the server's share is not in it.
LAST_CPU: list[float] = []


def _actor():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area

    user = User.objects.filter(username="bench-members").first()
    if user is None:
        city = Area.objects.get(parent__isnull=True)
        city_org = PartyOrg.objects.get(parent__isnull=True)
        user = User(username="bench-members", real_name="基准测试", area=city, area_path=city.path)
        user.set_unusable_password()
        user.save()
        services.grant_add(actor=None, user=user, role_code="city_staff", area=city)
        services.grant_add(actor=None, user=user, role_code="city_staff", org=city_org)
    user.forget_grants()
    return user


def _targets() -> list[tuple[str, str]]:
    """(organization name, "网格/单元") pairs: grid branches whose names and whose grids' names
    are unique, each with one of the grid's units."""
    from collections import Counter

    from dangjian.core import tree
    from dangjian.organizations.models import OrgForm, OrgKind, PartyOrg
    from dangjian.territory.models import Area, AreaKind

    org_names = Counter(PartyOrg.objects.values_list("name", flat=True))
    grids = dict(Area.objects.filter(kind=AreaKind.GRID).values_list("path", "name"))
    grid_names = Counter(grids.values())
    units_by_grid: dict[str, list[str]] = {}
    for path, name in Area.objects.filter(kind=AreaKind.UNIT).values_list("path", "name"):
        units_by_grid.setdefault(path[: -tree.STEP_WIDTH], []).append(name)
    rng = random.Random("bench-members-targets")
    out = []
    rows = PartyOrg.objects.filter(
        kind=OrgKind.BRANCH, form=OrgForm.REGULAR, area__kind=AreaKind.GRID
    ).values_list("name", "area_path")
    for name, grid_path in rows.order_by("path"):
        grid = grids.get(grid_path)
        if org_names[name] != 1 or grid is None or grid_names[grid] != 1:
            continue
        out.append((name, f"{grid}/{rng.choice(units_by_grid[grid_path])}"))
    return out


def _id_number(birth: dt.date, seq: int, male: bool) -> str:
    from dangjian.core.validators import id_number_check_digit

    first17 = f"{AREA_CODE}{birth:%Y%m%d}{seq * 2 + (1 if male else 0):03d}"
    return first17 + id_number_check_digit(first17)


def build_rows(n: int, targets: list[tuple[str, str]], today: dt.date) -> list[list]:
    """The header (as the template writes it) and ``n`` valid member rows."""
    from dangjian.core.months import add_months
    from dangjian.demo import names
    from dangjian.members import excel

    rng = random.Random(f"bench-members-{n}")
    header = [("*" if c.required else "") + c.header for c in excel.COLUMNS]
    rows = [header]
    seq: dict[tuple, int] = {}
    educations = ["大学本科", "大学专科", "高中", "初中", "中等专科", "硕士研究生", "小学及以下"]
    for _ in range(n):
        female = rng.random() < 0.3
        age = rng.randint(20, 90)
        birth = add_months(today, -12 * age) - dt.timedelta(days=rng.randint(1, 364))
        key = (birth, female)
        k = seq[key] = seq.get(key, -1) + 1
        probationary = rng.random() < 0.04
        if probationary:
            joined = today - dt.timedelta(days=rng.randint(10, 300))
            confirmed = None
        else:
            join_age = max(18, min(age - 1, round(rng.gauss(27, 7))))
            joined = min(add_months(birth, 12 * join_age), add_months(today, -13))
            confirmed = add_months(joined, 12)
        retired = age >= 60
        org, unit = rng.choice(targets)
        rows.append(
            [
                names.member_name(rng, female),
                "女" if female else "男",
                "汉族",
                birth,
                _id_number(birth, k, not female),
                names.mobile(rng),
                rng.choice(educations),
                "离退休人员" if retired else rng.choice(["工人", "专业技术人员", "其他职业人员"]),
                "" if retired else rng.choice(names.WORK_UNITS),
                joined,
                confirmed,
                "预备党员" if probationary else "正式党员",
                "离退休党员" if retired else "在职党员",
                org,
                unit,
            ]
        )
    return rows


def workbook(rows: list[list]) -> bytes:
    """The rows as an .xlsx (text cells for ID and phone numbers, date cells for dates)."""
    import xlsxwriter

    from dangjian.core import excel as core_excel

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {**core_excel.WORKBOOK_OPTIONS, "constant_memory": True})
    ws = book.add_worksheet("党员信息")
    date_fmt = book.add_format({"num_format": core_excel.DATE_FORMAT})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_fmt)
            else:
                ws.write_string(r, c, value)
    book.close()
    return out.getvalue()


def _rolled_back(fn):
    """Run ``fn`` in a transaction that is rolled back; returns (seconds, result)."""
    from django.db import transaction

    box = {}
    try:
        with transaction.atomic():
            t0, c0 = time.perf_counter(), time.process_time()
            box["result"] = fn()
            box["seconds"] = time.perf_counter() - t0
            LAST_CPU.append(time.process_time() - c0)
            raise _Rollback
    except _Rollback:
        pass
    return box["seconds"], box["result"]


def run_ours(content: bytes, actor) -> tuple[float, dict]:
    from dangjian.members import excel, services

    limits = excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES
    excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES = 10**6, 10**9
    try:
        return _rolled_back(lambda: services.members_import(actor=actor, content=content))
    finally:
        excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES = limits


def run_bare(content: bytes, actor) -> float:
    """bulk_create of the already-parsed rows: parsing and matching happen before the clock."""
    from dangjian.members import excel
    from dangjian.members.models import Member, MemberCategory
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area

    limits = excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES
    excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES = 10**6, 10**9
    try:
        sheet = excel.parse_import(content)
    finally:
        excel.MAX_IMPORT_ROWS, excel.MAX_IMPORT_BYTES = limits
    orgs = {o.name: o for o in PartyOrg.objects.defer("contact_phone")}
    grid_units = {}
    for unit in (
        Area.objects.filter(kind="unit")
        .select_related("parent")
        .only("pk", "path", "name", "parent__name")
    ):
        grid_units[f"{unit.parent.name}/{unit.name}"] = unit
    parsed = [(r.values, orgs[r.values["org"]], grid_units[r.values["unit"]]) for r in sheet.rows]

    def write():
        members, cats = [], []
        for values, org, unit in parsed:
            m = Member(
                name=values["name"],
                gender=values["gender"],
                ethnicity=values["ethnicity"],
                birth_date=values["birth_date"],
                id_number=values["id_number"],
                phone=values["phone"],
                education=values["education"],
                occupation=values["occupation"],
                work_unit=values["work_unit"] or "",
                joined_on=values["joined_on"],
                confirmed_on=values["confirmed_on"],
                status=values["status"],
                org=org,
                org_path=org.path,
                unit=unit,
                area_path=unit.path,
            )
            members.append(m)
            cats.extend((m, c) for c in values["categories"])
        Member.objects.bulk_create(members, batch_size=2000)
        MemberCategory.objects.bulk_create(
            [MemberCategory(member=m, code=c) for m, c in cats], batch_size=2000
        )
        return len(members)

    seconds, count = _rolled_back(write)
    assert count == len(parsed)
    return seconds


def _resource_class(actor, cached: bool):
    """A django-import-export resource doing our import one row at a time. ``cached``: the
    organizations and residences are looked up once for the whole file (as our import does);
    otherwise one query each per row, as a ``ForeignKeyWidget`` does."""
    from django.core.exceptions import ValidationError
    from import_export import resources

    from dangjian.core import audit, crypto, scope, validation
    from dangjian.core.pinyin import initials
    from dangjian.members import excel, services
    from dangjian.members.models import Member, MemberCategory
    from dangjian.organizations.models import PartyOrg
    from dangjian.territory.models import Area

    headers = {
        excel.normalize_header(("*" if c.required else "") + c.header): c for c in excel.COLUMNS
    }

    class MemberResource(resources.ModelResource):
        class Meta:
            model = Member
            fields = ()
            skip_diff = True
            force_init_instance = True

        def before_import(self, dataset, **kwargs):
            if not cached:
                return
            self.orgs = {
                o.name: o
                for o in PartyOrg.objects.visible_to(actor, "members.manage").defer("contact_phone")
            }
            self.units = {
                f"{grid}/{name}": unit
                for unit, grid, name in (
                    (u, u.parent.name, u.name)
                    for u in Area.objects.visible_to(actor, "territory.view")
                    .filter(kind="unit")
                    .select_related("parent")
                    .defer("boundary", "parent__boundary")
                )
            }

        def before_import_row(self, row, **kwargs):
            errors = validation.Errors()
            values = {}
            for header, value in row.items():
                column = headers.get(excel.normalize_header(header))
                if column is None:
                    continue
                parsed, error = excel.parse_cell(column, value)
                values[column.key] = parsed
                if error:
                    errors.add(column.key, error)
            own = {k: v for k, v in values.items() if k in services.OWN_FIELDS}
            explicit = {k for k, v in own.items() if v not in (None, "", [])}
            clean, field_errors = services.clean_member_fields(own, explicit=explicit)
            for key, messages in field_errors.items():
                errors.setdefault(key, messages)
            index = (
                crypto.blind_index("id_number", clean["id_number"]) if clean["id_number"] else ""
            )
            if index and Member.objects.filter(id_number_index=index).exists():
                errors.add("id_number", "该身份证号码已在系统中登记")
            if cached:
                org = self.orgs.get(values.get("org"))
            else:
                org = (
                    PartyOrg.objects.visible_to(actor, "members.manage")
                    .defer("contact_phone")
                    .filter(name=values.get("org"))
                    .first()
                )
            if org is None or not services.can_manage_members_in(actor, org.path):
                errors.add("org", "未找到党组织，或不在您的管理范围内")
            unit = None
            if values.get("unit") and cached:
                unit = self.units.get(values["unit"])
            elif values.get("unit"):
                grid_name, _sep, unit_name = values["unit"].partition("/")
                unit = (
                    Area.objects.visible_to(actor, "territory.view")
                    .defer("boundary")
                    .filter(name=unit_name, parent__name=grid_name)
                    .first()
                )
            if values.get("unit"):
                if unit is None:
                    errors.add("unit", "未找到居住网格单元")
            if errors:
                raise ValidationError(dict(errors))
            row["_clean"], row["_org"], row["_unit"] = clean, org, unit

        def import_instance(self, instance, row, **kwargs):
            clean, org, unit = row["_clean"], row["_org"], row["_unit"]
            for field in services.OWN_FIELDS:
                if field != "categories":
                    setattr(instance, field, clean[field])
            instance.id_number_index = (
                crypto.blind_index("id_number", clean["id_number"]) if clean["id_number"] else ""
            )
            instance.phone_index = (
                crypto.blind_index("phone", clean["phone"]) if clean["phone"] else ""
            )
            instance.name_pinyin = initials(clean["name"])
            instance.org, instance.org_path = org, org.path
            instance.unit, instance.area_path = unit, unit.path if unit else ""

        def after_save_instance(self, instance, row, **kwargs):
            codes = row["_clean"]["categories"]
            MemberCategory.objects.bulk_create(
                [MemberCategory(member=instance, code=c) for c in codes]
            )
            audit.record(
                actor=actor,
                action="member.create",
                obj=instance,
                after={**audit.snapshot(instance), "categories": codes},
                note="django-import-export",
            )
            scope.assert_visible(instance, actor, "members.manage")

    return MemberResource


def run_import_export(content: bytes, actor, cached: bool = True) -> tuple[float, int]:
    import tablib

    from dangjian.core import excel as core_excel

    resource = _resource_class(actor, cached)()

    def do():
        rows = core_excel.read_rows(content, max_rows=10**6)
        header = [core_excel.cell_text(v) for v in rows[0].values]
        dataset = tablib.Dataset(headers=header)
        for row in rows[1:]:
            dataset.append(list(row.values))
        result = resource.import_data(dataset, dry_run=False, use_transactions=True)
        assert not result.has_errors() and not result.has_validation_errors(), (
            result.invalid_rows[:1] or result.row_errors()[:1]
        )
        return result.totals["new"]

    return _rolled_back(do)


def run(
    rows: int = ROWS, ie_rows: int = IE_ROWS, naive_rows: int = NAIVE_ROWS, repeat: int = REPEAT
) -> dict:
    import statistics

    from django.utils import timezone

    from dangjian.members.models import Member

    actor = _actor()
    t0 = time.perf_counter()
    targets = _targets()
    table = build_rows(rows, targets, timezone.localdate())
    content = workbook(table)
    ie_content = workbook(table[: ie_rows + 1])
    naive_content = workbook(table[: naive_rows + 1])
    prepared = time.perf_counter() - t0
    before = Member.objects.count()
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": [], "ie": []}
    # Taking turns (ours, bare, import-export, ours, ...), so that a change of the machine's
    # speed hits all three: on a shared machine the same loop ran 1.6 s one quarter of an
    # hour and 3.5 s the next.
    for _ in range(max(1, repeat)):
        ours_s, result = run_ours(content, actor)
        assert result["created"] == rows and not result["errors"], result["errors"][:3]
        runs["ours"].append((ours_s, LAST_CPU[-1]))
        runs["bare"].append((run_bare(content, actor), LAST_CPU[-1]))
        ie_s, ie_created = run_import_export(ie_content, actor, cached=True)
        assert ie_created == ie_rows
        runs["ie"].append((ie_s, LAST_CPU[-1]))
    ours_s, ours_cpu = (statistics.median(x) for x in zip(*runs["ours"], strict=True))
    bare_s, bare_cpu = (statistics.median(x) for x in zip(*runs["bare"], strict=True))
    ie_s, ie_cpu = (statistics.median(x) for x in zip(*runs["ie"], strict=True))
    pair_ratios = [o[0] / b[0] for o, b in zip(runs["ours"], runs["bare"], strict=True)]
    ie_pair_ratios = [
        (rows / o[0]) / (ie_rows / i[0]) for o, i in zip(runs["ours"], runs["ie"], strict=True)
    ]
    naive_s, naive_created = run_import_export(naive_content, actor, cached=False)
    assert naive_created == naive_rows
    assert Member.objects.count() == before  # everything rolled back
    ours_rate = rows / ours_s
    ie_rate, naive_rate = ie_rows / ie_s, naive_rows / naive_s
    import import_export

    return {
        "ie_version": import_export.__version__,
        "rows": rows,
        "ie_rows": ie_rows,
        "naive_rows": naive_rows,
        "file_mb": round(len(content) / 2**20, 1),
        "targets": len(targets),
        "prepare_seconds": round(prepared, 1),
        "ours_seconds": round(ours_s, 2),
        "ours_rows_per_s": round(ours_rate),
        "bare_seconds": round(bare_s, 2),
        "bare_rows_per_s": round(rows / bare_s),
        "ie_seconds": round(ie_s, 2),
        "ie_rows_per_s": round(ie_rate),
        "naive_seconds": round(naive_s, 2),
        "naive_rows_per_s": round(naive_rate, 1),
        "ie_ratio": round(ours_rate / ie_rate, 1),
        "naive_ratio": round(ours_rate / naive_rate, 1),
        "bare_ratio": round(ours_s / bare_s, 2),
        "repeat": len(pair_ratios),
        "ours_runs": [round(w, 2) for w, _c in runs["ours"]],
        "bare_runs": [round(w, 2) for w, _c in runs["bare"]],
        "ie_runs": [round(w, 2) for w, _c in runs["ie"]],
        "ie_ratio_range": [round(min(ie_pair_ratios), 1), round(max(ie_pair_ratios), 1)],
        "bare_ratio_range": [round(min(pair_ratios), 2), round(max(pair_ratios), 2)],
        "ours_cpu_seconds": round(ours_cpu, 2),
        "bare_cpu_seconds": round(bare_cpu, 2),
        "ie_cpu_seconds": round(ie_cpu, 2),
        "ie_cpu_ratio": round((rows / ours_cpu) / (ie_rows / ie_cpu), 1),
        "bare_cpu_ratio": round(ours_cpu / bare_cpu, 2),
        "load": [round(x, 1) for x in os.getloadavg()],
    }


def verdicts(r: dict) -> dict:
    return {
        "ie": r["ie_ratio"] >= IE_TARGET,
        "naive": r["naive_ratio"] >= IE_TARGET,
        "bare": r["bare_ratio"] <= BARE_TARGET,
    }


def report(r: dict) -> list[str]:
    ok = {k: "达成" if v else "未达成" for k, v in verdicts(r).items()}
    return (
        [
            f"导入文件：{r['rows']:,} 行，{r['file_mb']} MB（{r['targets']:,} 个党组织）",
            f"members_import：{r['ours_seconds']:.1f} s，{r['ours_rows_per_s']:,} 行/秒",
            f"django-import-export，整表一次查找组织和居住地（前 {r['ie_rows']:,} 行）："
            f"{r['ie_seconds']:.1f} s，{r['ie_rows_per_s']:,} 行/秒；本系统为其 {r['ie_ratio']:.1f} 倍"
            f"  目标 ≥{IE_TARGET:.0f}×: {ok['ie']}",
            f"django-import-export，逐行查找（ForeignKeyWidget 式，前 {r['naive_rows']:,} 行）："
            f"{r['naive_seconds']:.1f} s，{r['naive_rows_per_s']:,} 行/秒；本系统为其 "
            f"{r['naive_ratio']:.0f} 倍  目标 ≥{IE_TARGET:.0f}×: {ok['naive']}",
            f"裸 bulk_create（已解析的行）：{r['bare_seconds']:.1f} s，{r['bare_rows_per_s']:,} 行/秒；"
            f"本系统耗时为其 {r['bare_ratio']:.2f} 倍  目标 ≤{BARE_TARGET:.0f}×: {ok['bare']}",
        ]
        + (
            [
                f"本系统与裸 bulk_create 交替各跑 {r['repeat']} 次，取中位数；各次墙钟（s）：本系统 "
                f"{' / '.join(f'{x:.2f}' for x in r['ours_runs'])}，裸 bulk_create "
                f"{' / '.join(f'{x:.2f}' for x in r['bare_runs'])}；相邻两次之比 "
                f"{r['bare_ratio_range'][0]:.2f}–{r['bare_ratio_range'][1]:.2f}",
            ]
            if "ours_runs" in r
            else []
        )
        + (
            [
                f"import-export（整表查找）与本系统交替跑 {r['repeat']} 次；各次墙钟（s）："
                f"{' / '.join(f'{x:.2f}' for x in r['ie_runs'])}；每轮本系统为其 "
                f"{r['ie_ratio_range'][0]:.1f}–{r['ie_ratio_range'][1]:.1f} 倍",
            ]
            if "ie_runs" in r
            else []
        )
        + (
            [
                f"本进程 CPU 时间：本系统 {r['ours_cpu_seconds']:.1f} s，import-export "
                f"{r['ie_cpu_seconds']:.1f} s（{r['ie_rows']:,} 行），裸 bulk_create "
                f"{r['bare_cpu_seconds']:.1f} s；按 CPU 计本系统为 import-export 的 "
                f"{r['ie_cpu_ratio']:.1f} 倍行/秒，耗时为裸 bulk_create 的 {r['bare_cpu_ratio']:.2f} 倍"
                f"（系统负载 {r['load'][0]}）",
            ]
            if "ours_cpu_seconds" in r
            else []
        )
    )


if __name__ == "__main__":
    import sys

    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    from django.core.management import call_command

    scale = sys.argv[2] if len(sys.argv) > 2 else "city"
    call_command("seed", "--scale", scale, "--no-progress", "--modules", "members")
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else ROWS
    ie_rows = int(sys.argv[4]) if len(sys.argv) > 4 else min(IE_ROWS, rows)
    naive_rows = int(sys.argv[5]) if len(sys.argv) > 5 else min(NAIVE_ROWS, rows)
    print("\n".join(report(run(rows, ie_rows, naive_rows))))
