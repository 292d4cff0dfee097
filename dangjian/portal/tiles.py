"""The tiles of the mobile home page (/m/).

A module adds its own ``Tile`` to ``TILES``; a tile shows when the user may do ``action``
(None: every signed-in user).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class Tile:
    label: str
    url_name: str
    action: str | None = None


TILES: tuple[Tile, ...] = ()

# The grid event closed loop: report a problem, follow one's reports.
TILES += (
    Tile("上报事件", "portal:cases:report", "cases.create"),
    Tile("我的诉求", "portal:cases:mine", "cases.create"),
    Tile("网格事件", "portal:cases:grid", "cases.visit"),
    Tile("入户走访", "portal:cases:visits", "cases.visit"),
)

# Member development: the applicant and the contacts follow the next step and its date.
TILES += (Tile("入党进度", "portal:development:progress", "development.view"),)

# Organizational life: my upcoming sessions (check in by scanning the QR code), my attendance.
TILES += (Tile("组织生活", "portal:orglife:upcoming", "orglife.checkin"),)

# Dues: my monthly amount, paid months, arrears and receipts.
TILES += (Tile("我的党费", "portal:dues:mine", "dues.view"),)

# Points: my balances and awards, redeeming, the public boards of my schemes.
TILES += (
    Tile("我的积分", "portal:points:mine", "points.view"),
    Tile("积分兑换", "portal:points:catalogue", "points.view"),
    Tile("积分榜", "portal:points:boards", "points.view"),
)

# Two-colour warnings: my own (members); the branch's (secretaries, who hold members.manage).
TILES += (
    Tile("我的预警", "portal:assessment:mine", "members.view"),
    Tile("支部预警", "portal:assessment:branch", "members.manage"),
)
# The star rating: a secretary's organizations' ratings; a member's own organization's.
TILES += (Tile("评星定级", "portal:assessment:ratings", "members.view"),)


def tiles_for(user) -> list[dict]:
    return [
        {"label": t.label, "url": reverse(t.url_name)}
        for t in TILES
        if t.action is None or user.can(t.action)
    ]


# Residents' self-registration: the grid worker confirms those registered in their grids.
TILES += (Tile("注册确认", "portal:registrations", "accounts.confirm_resident"),)

# The time bank: order a service, take one, check in and out, confirm; my hours.
TILES += (
    Tile("时间银行", "portal:timebank:home", "volunteering.view"),
    Tile("我的时长", "portal:timebank:hours", "volunteering.view"),
)

# New employment groups: a courier, rider or driver registers at a station and, once an
# assistant grid worker, reports events from there.
TILES += (Tile("驿站报到", "portal:timebank:rider", "volunteering.view"),)
