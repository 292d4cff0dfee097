"""Time ``manage.py seed --scale city`` on the current (fresh) database.

The target (< 120 s) is the foundation issue's: the city's trees and accounts. The benchmark
seeds only the modules its other parts read (none for the tree part, the members for the
member part), and reports the trees-and-accounts time against the target."""

from __future__ import annotations

import io
import time

SEED_TARGET_SECONDS = 120


def run(scale: str = "city", modules: tuple[str, ...] = ()) -> dict:
    from django.core.management import call_command

    from dangjian.core.models import AuditEntry

    out = io.StringIO()
    t0 = time.perf_counter()
    chosen = ",".join(modules) or "none"
    call_command("seed", "--scale", scale, "--no-progress", "--modules", chosen, stdout=out)
    seconds = time.perf_counter() - t0
    counts = AuditEntry.objects.get(action="demo.seed").after
    return {
        "scale": scale,
        "seconds": round(seconds, 2),
        "trees_seconds": counts.get("trees_seconds", round(seconds, 2)),
        "modules": counts.get("modules", []),
        "areas": counts["areas"],
        "area_kinds": counts["area_kinds"],
        "party_orgs": counts["party_orgs"],
        "grid_branches": counts["grid_branches"],
        "unit_groups": counts["unit_groups"],
        "departments": counts["departments"],
        "users": counts["users"],
        # The members and what hangs on them (``generator._seed_members``), with its timing.
        **{
            key: counts.get(key, 0)
            for key in (
                "members",
                "member_categories",
                "mobile_members",
                "checkins",
                "cadres",
                "reserve_cadres",
                "mentor_pairs",
                "unit_roles",
            )
        },
        "member_seconds": counts.get("member_seconds") or {},
        "output": out.getvalue(),
    }


def report(result: dict) -> list[str]:
    s = result.get("trees_seconds", result["seconds"])
    ok = "达成" if s < SEED_TARGET_SECONDS else "未达成"
    return [
        f"seed --scale {result['scale']}: {s:.1f} s "
        f"（区域 {result['areas']:,}，党组织 {result['party_orgs']:,}，"
        f"党员 {result.get('members', 0):,}，两委干部 {result.get('cadres', 0):,}）"
        f"  目标 <{SEED_TARGET_SECONDS} s: {ok}",
    ]


if __name__ == "__main__":
    import sys

    from bench import common

    common.setup(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
    print("\n".join(report(run())))
