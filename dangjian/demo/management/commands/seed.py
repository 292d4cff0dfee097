"""``manage.py seed --scale small|city|city10 [--times N]``: build the demo city into an empty
database (``city10``, or ``--times``: the same tree with N times the members and events)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from dangjian.demo.generator import MODULES, SCALE_LABELS, SCALES, seed

AREA_KIND_LABELS = {
    "city": "市",
    "county": "县(区)",
    "street": "街道",
    "township": "乡镇",
    "community": "社区",
    "village": "村",
    "grid": "网格",
    "unit": "单元",
}
ORG_KIND_LABELS = {
    "committee": "党委",
    "working_committee": "党工委",
    "general_branch": "党总支",
    "branch": "党支部",
    "group": "党小组",
}


class Command(BaseCommand):
    help = "生成演示城市（区域、党组织、职能部门、演示账号和党员）；数据库须为空。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=SCALES,
            default=os.environ.get("DEMO_SCALE", "small") or "small",
            help="small：小型演示城市（默认，或取环境变量 DEMO_SCALE）；city：全市规模；"
            "city10：全市规模×10（1,000,000 名党员、2,000,000 件事件，同一棵区域和组织树）",
        )
        parser.add_argument(
            "--times",
            type=int,
            default=1,
            help="党员和事件数量的倍数（1至20，默认1）：同一棵区域和组织树上成倍的党员和事件",
        )
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")
        parser.add_argument(
            "--orders",
            type=int,
            default=None,
            help="时间银行订单总数，分摊到各村(社区)（默认：小型演示城市每个社区12单，全市规模约30,000单）",
        )
        parser.add_argument(
            "--modules",
            default=",".join(MODULES),
            help=f"在两棵树和账号之后生成哪些模块的演示数据，逗号分隔（默认全部：{','.join(MODULES)}）；"
            "none 表示只生成两棵树和账号",
        )

    def handle(self, *args, scale, no_progress, modules, orders=None, times=1, **options):
        chosen = tuple(m.strip() for m in modules.split(",") if m.strip() and m.strip() != "none")
        label = SCALE_LABELS[scale] + (f"×{times}" if times > 1 else "")
        self.stdout.write(f"正在生成演示数据：{label}……")
        counts = seed(
            scale,
            progress=not no_progress and options.get("verbosity", 1) > 0,
            modules=chosen,
            timebank_orders=orders,
            times=times,
        )
        kinds = "，".join(
            f"{AREA_KIND_LABELS[k]} {n:,}" for k, n in counts["area_kinds"].items() if n
        )
        orgs = "，".join(f"{ORG_KIND_LABELS[k]} {n:,}" for k, n in counts["org_kinds"].items() if n)
        lines = [
            f"区域 {counts['areas']:,} 个（{kinds}）",
            f"党组织 {counts['party_orgs']:,} 个（{orgs}；其中网格党支部 {counts['grid_branches']:,}、"
            f"单元党小组 {counts['unit_groups']:,}）",
            f"户数 {counts['households']:,}，人口 {counts['population']:,}"
            + (f"，逐户登记 {counts['household_rows']:,} 户" if counts["household_rows"] else ""),
            f"职能部门 {counts['departments']:,} 个，演示账号 {counts['users']} 个（授权 {counts['grants']} 条）",
        ]
        if "members" in counts["modules"]:
            lines += [
                f"党员 {counts['members']:,} 名（类别 {counts['member_categories']:,} 条，"
                f"流动党员 {counts['mobile_members']:,}，双报到 {counts['checkins']:,}）",
                f"村(社区)两委干部 {counts['cadres']:,} 名，后备干部 {counts['reserve_cadres']:,} 名，"
                f"导师帮带 {counts['mentor_pairs']:,} 对，党员中心户和楼栋长 {counts['unit_roles']:,} 名",
            ]
        lines.append(
            f"用时 {counts['seconds']:.1f} 秒（其中两棵树和账号 {counts['trees_seconds']:.1f} 秒）"
        )
        for line in lines:
            self.stdout.write("  " + line)
        self.stdout.write(self.style.SUCCESS("演示数据已生成。"))
