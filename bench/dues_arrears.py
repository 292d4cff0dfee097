"""Dues at city scale: the whole city's arrears (3 and 6 months in a row), the dues members
list (first page, what the console and ``GET /api/v1/dues/members/`` show), and recording one
payment through the ledger. Targets: arrears for the whole city ≤ 5 s; the list page ≤ 200 ms;
one payment ≤ 100 ms (medians).

``python -m bench.dues_arrears [--backend sqlite|postgresql] [--scale small|city]
[--iterations N]`` seeds a fresh database (``bench.common.setup``; PostgreSQL at
``BENCH_DATABASE_URL``), reports the dues part of the seed, then times each figure. The arrears
figure is checked against a plain recount (every active member's unpaid closed months from the
rows, by hand) before timing. Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import time

from bench import common

TARGETS_MS = {"arrears_city": 5000, "members_page": 200, "payment": 100}


def _user():
    from dangjian.accounts import services
    from dangjian.accounts.models import User
    from dangjian.organizations.models import PartyOrg

    root = PartyOrg.objects.get(parent__isnull=True)
    u = User.objects.filter(username="bench-dues-city").first()
    if u is None:
        u = User(username="bench-dues-city", real_name="基准测试")
        u.set_unusable_password()
        u.save()
        services.grant_add(actor=None, user=u, role_code="city_staff", org=root)
    return u


def _recount() -> tuple[int, int]:
    """Members 3+ and 6+ months behind, counted from the rows without the selectors."""
    import datetime as dt
    from collections import defaultdict

    from django.utils import timezone

    from dangjian.dues.models import DuesBase, DuesPaymentMonth, DuesProfile, Hardship

    today = timezone.localdate()
    current = today.replace(day=1)
    paid = defaultdict(set)
    for mid, month in DuesPaymentMonth.objects.filter(reversed=False).values_list(
        "member_id", "month"
    ):
        paid[mid].add(month)
    waived = defaultdict(list)
    for mid, a, b in Hardship.objects.filter(state="approved", kind="waive").values_list(
        "member_id", "from_month", "to_month"
    ):
        waived[mid].append((a, b))
    first_amount = dict(DuesBase.objects.values_list("profile__member_id", "amount"))
    warn = leave = 0
    for mid, start in DuesProfile.objects.filter(
        member__left_on__isnull=True, member__status__in=("full", "probationary")
    ).values_list("member_id", "dues_from"):
        if first_amount.get(mid, 0) <= 0:
            continue
        run = best = 0
        m = start
        while m < current:
            unpaid = m not in paid[mid] and not any(a <= m <= b for a, b in waived[mid])
            run = run + 1 if unpaid else 0
            best = max(best, run)
            m = (m + dt.timedelta(days=32)).replace(day=1)
        warn += 3 <= best < 6
        leave += best >= 6
    return warn, leave


def run(iterations: int, warmup: int) -> dict:
    from dangjian.accounts.models import User
    from dangjian.dues import selectors, services
    from dangjian.dues.models import DuesPayment, DuesProfile

    user = _user()
    rows = selectors.arrears(User.objects.get(pk=user.pk))
    warn = sum(1 for _, st in rows if st.level == "warning")
    leave = sum(1 for _, st in rows if st.level == "leave")
    if (warn, leave) != _recount():
        raise SystemExit(f"selectors and the recount disagree: {(warn, leave)} != {_recount()}")

    def arrears():
        return selectors.arrears(User.objects.get(pk=user.pk))

    def members_page():
        fresh = User.objects.get(pk=user.pk)
        page = list(selectors.members(fresh)[:20])
        return selectors.statuses([m.pk for m in page])

    # Payments: members of the city who have not paid this month, one each.
    from django.utils import timezone

    from dangjian.dues import calc

    month = calc.month_text(calc.month_of(timezone.localdate()))
    paid_now = DuesPayment.objects.filter(months__month=calc.month_of(timezone.localdate()))
    candidates = iter(
        DuesProfile.objects.exclude(member_id__in=paid_now.values("member_id"))
        .filter(member__left_on__isnull=True, member__status__in=("full", "probationary"))
        .values_list("member_id", flat=True)[: iterations + warmup + 5]
    )
    from dangjian.members.models import Member

    def payment():
        services.payment_create(actor=user, member=Member(pk=next(candidates)), months=[month])

    timed = {
        "arrears_city": common.measure(arrears, max(2, iterations // 5), 1),
        "members_page": common.measure(members_page, iterations, warmup),
        "payment": common.measure(payment, iterations, warmup),
    }
    return {"warning": warn, "leave": leave, "timed": timed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--scale", default="city", choices=("small", "city"))
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    common.SQLITE_PATH = common.BENCH_DIR / "dues_arrears.sqlite3"
    common.setup(args.backend)
    from bench import seed_city

    t0 = time.perf_counter()
    seed = seed_city.run(args.scale, ("members", "dues"))
    from dangjian.core.models import AuditEntry

    counts = AuditEntry.objects.get(action="demo.seed").after
    result = run(args.iterations, args.warmup)
    print(json.dumps({"machine": common.machine()}, ensure_ascii=False))
    print(f"数据库：{common.database_version()}")
    print(
        f"seed --scale {args.scale}: {seed['seconds']:.1f} s（共 {time.perf_counter() - t0:.1f} s），"
        f"其中党费 {counts.get('dues_seconds')} s：档案 {counts.get('dues_profiles', 0):,} 份，"
        f"缴费 {counts.get('dues_payments', 0):,} 笔，台账交易 "
        f"{counts.get('dues_ledger_transactions', 0):,} 笔"
    )
    print(f"全市欠缴：连续3至5个月 {result['warning']:,} 人，连续6个月以上 {result['leave']:,} 人")
    labels = {
        "arrears_city": "全市欠缴名单",
        "members_page": "党费名单首页（20人）",
        "payment": "登记一笔缴费（记账）",
    }
    for key, t in result["timed"].items():
        ok = t["median_ms"] <= TARGETS_MS[key]
        print(
            f"{labels[key]}：中位 {t['median_ms']:.1f} ms / p95 {t['p95_ms']:.1f} ms"
            f"（{t['iterations']} 次）  目标 ≤{TARGETS_MS[key]} ms: {'达成' if ok else '未达成'}"
        )


if __name__ == "__main__":
    main()
