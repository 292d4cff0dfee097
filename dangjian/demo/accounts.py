"""The demo accounts the generator creates (all share settings.DANGJIAN["DEMO_PASSWORD"]).

Each staff account sits on one nested chain: the county is inside the city, the street inside
the county, the community inside the street, the grid inside the community; the member and
the resident live in a unit of that grid. None of them is a Django superuser or staff: every
one, the administrator's included, reads data only through its grants.
"""

from __future__ import annotations

DEMO_ACCOUNTS: list[tuple[str, str]] = [
    ("demo-admin", "系统管理员（授权在全市区域和市委，非超级用户）"),
    ("demo-city", "市委组织部工作人员（全市）"),
    ("demo-county", "县(区)委组织部工作人员（城厢区）"),
    ("demo-street", "街道组织工作人员（龙桥街道及其党工委）"),
    ("demo-community", "社区书记（社区及社区党委）"),
    ("demo-grid", "网格员（一个网格）"),
    ("demo-dept", "职能部门人员（城厢区城市管理局）"),
    ("demo-member", "党员（仅本人）"),
    ("demo-resident", "群众（仅本人）"),
]

DEMO_USERNAMES = [username for username, _label in DEMO_ACCOUNTS]
