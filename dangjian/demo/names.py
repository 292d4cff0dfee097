"""Realistic Chinese place and person names for the demo city (Putian-like).

Everything is deterministic for a given ``random.Random``: the generator seeds one and passes
it around, so two runs of the same scale produce the same city.
"""

from __future__ import annotations

import random

CITY = ("莆田市", "350300")

# (name, 6-digit code, kind of party committee over it: "committee" or "working_committee")
COUNTIES: list[tuple[str, str, str]] = [
    ("城厢区", "350302", "committee"),
    ("涵江区", "350303", "committee"),
    ("荔城区", "350304", "committee"),
    ("秀屿区", "350305", "committee"),
    ("仙游县", "350322", "committee"),
    ("湄洲湾北岸经济开发区", "350391", "working_committee"),
    ("湄洲岛国家旅游度假区", "350392", "working_committee"),
]

# Townships and streets of each county, in order; "街道" ends a street, "镇" a town, "乡" a
# township. The city scale uses all 54; the small scale the first two of the first two counties.
TOWNSHIPS: dict[str, list[str]] = {
    "城厢区": ["龙桥街道", "华亭镇", "凤凰山街道", "霞林街道", "常太镇", "灵川镇", "东海镇"],
    "涵江区": [
        "涵东街道",
        "白塘镇",
        "涵西街道",
        "国欢镇",
        "三江口镇",
        "梧塘镇",
        "江口镇",
        "萩芦镇",
        "白沙镇",
        "庄边镇",
        "新县镇",
        "大洋乡",
    ],
    "荔城区": ["镇海街道", "拱辰街道", "西天尾镇", "黄石镇", "北高镇", "新度镇"],
    "秀屿区": [
        "笏石镇",
        "东庄镇",
        "忠门镇",
        "东峤镇",
        "埭头镇",
        "平海镇",
        "南日镇",
        "月塘镇",
        "湖石镇",
    ],
    "仙游县": [
        "鲤城街道",
        "鲤南镇",
        "枫亭镇",
        "榜头镇",
        "郊尾镇",
        "度尾镇",
        "盖尾镇",
        "园庄镇",
        "大济镇",
        "龙华镇",
        "赖店镇",
        "钟山镇",
        "游洋镇",
        "书峰乡",
        "石苍乡",
        "社硎乡",
        "西苑乡",
    ],
    "湄洲湾北岸经济开发区": ["东埔镇", "山亭镇"],
    "湄洲岛国家旅游度假区": ["湄洲镇"],
}

# Syllables of Fujian (Puxian) place names: a head and a tail make a village or community.
PLACE_HEADS = list(
    "东西南北上下新古前后龙凤霞梅黄陈林吴石沙柳桂竹松荔瑞庄乌白赤青金玉华安永宁太长清福"
    "溪江海湖坑洋兰枫桥岭峰塘田阳仁德文和兴盛丰顺秀延埕兜"
)
PLACE_TAILS = list("厝埔洋坑头尾兜前后亭山溪林塘里坂口园桥阳岭洲湖埕垅店峰浦")
# Community names read better with a gentler ending.
COMMUNITY_TAILS = list("园苑城里庭湖阳华安新和兴泰福康宁丰溪桥亭山林")

SURNAMES = list("林陈黄郑吴李王张刘方蔡许朱余杨徐翁关卓柯苏何周谢傅肖宋魏游彭潘曾严姚")
GIVEN_CHARS = list(
    "国建明华志文伟秀丽英德平金玉春海清芳庆福荣丽美荔婷燕红梅兰霞军强勇杰涛斌鹏辉"
    "亮军宏峰晓晨思雨欣怡佳子宇浩然梓涵雅静淑惠珍"
)

DEPARTMENTS = [
    "城市管理局",
    "生态环境局",
    "住房和城乡建设局",
    "民政局",
    "市场监督管理局",
    "卫生健康局",
]

TEMPORARY_PROJECTS = [
    "木兰溪治理工程",
    "高铁站片区改造",
    "老旧小区改造",
    "妈祖文化园建设",
    "滨海大道拓宽",
    "工业园区扩建",
    "乡村振兴示范片",
    "防汛抗台",
]
JOINT_SECTORS = ["商圈", "快递物流行业", "外卖骑手", "网约车行业", "物业服务企业", "小微企业"]
JOINT_DOMAINS = {
    "商圈": "non_public",
    "快递物流行业": "new_business",
    "外卖骑手": "new_business",
    "网约车行业": "new_business",
    "物业服务企业": "non_public",
    "小微企业": "non_public",
}

CHINESE_NUMERALS = "〇一二三四五六七八九"


def county_stem(county: str) -> str:
    """城厢区 → 城厢, 仙游县 → 仙游; a development zone keeps its whole name."""
    if len(county) <= 3 and county[-1] in "区县市":
        return county[:-1]
    return county


def township_kind(name: str) -> str:
    """``street`` for 街道, ``town`` for 镇, ``township`` for 乡."""
    if name.endswith("街道"):
        return "street"
    if name.endswith("镇"):
        return "town"
    return "township"


def township_stem(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def place_stem(rng: random.Random, taken: set[str], community: bool = False) -> str:
    """A two-character (rarely three) stem not yet in ``taken``; added to it."""
    tails = COMMUNITY_TAILS if community else PLACE_TAILS
    for _attempt in range(200):
        stem = rng.choice(PLACE_HEADS) + rng.choice(tails)
        if stem[0] != stem[1] and stem not in taken:
            taken.add(stem)
            return stem
    while True:
        stem = rng.choice(PLACE_HEADS) + rng.choice(PLACE_HEADS) + rng.choice(tails)
        if stem not in taken:
            taken.add(stem)
            return stem


def village_name(stem: str) -> str:
    return f"{stem}村"


def community_name(stem: str) -> str:
    return f"{stem}社区"


def grid_name(parent_name: str, n: int) -> str:
    """第N网格 of a community or village: 龙桥社区第3网格."""
    return f"{parent_name}第{n}网格"


def unit_name(n: int, community: bool) -> str:
    """Units are buildings in a community and villager groups in a village."""
    return f"{n}号楼" if community else f"{n}组"


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS)
    if rng.random() < 0.75:
        given += rng.choice(GIVEN_CHARS)
    return rng.choice(SURNAMES) + given


def mobile(rng: random.Random) -> str:
    return rng.choice(
        ("138", "139", "135", "136", "137", "150", "151", "158", "159", "180", "189")
    ) + "".join(str(rng.randrange(10)) for _ in range(8))


def door_label(unit: str, floor: int, room: int) -> str:
    """A household's door: 3号楼1203室, or 5组12号 in a village."""
    if unit.endswith("号楼"):
        return f"{unit}{floor}{room:02d}室"
    return f"{unit}{floor * 10 + room}号"


# --- people of the member registry ------------------------------------------------------------

MALE_GIVEN = list("国建明华志文伟德平金春海清庆福荣军强勇杰涛斌鹏辉亮宏峰晨宇浩然振东永坤")
FEMALE_GIVEN = list("秀丽英玉芳丽美荔婷燕红梅兰霞晓思雨欣怡佳雅静淑惠珍琴萍凤娟")

WORK_UNITS = [
    "莆田市第一医院",
    "莆田学院",
    "莆田市城厢区财政局",
    "莆田市荔城区教育局",
    "莆田市涵江区人民法院",
    "国网莆田供电公司",
    "莆田市自来水有限公司",
    "中国移动莆田分公司",
    "莆田市第二中学",
    "莆田市公安局",
    "福建省湄洲湾港务集团",
    "莆田市交通投资集团",
    "莆田农商银行",
    "仙游县人民医院",
    "莆田市市场监督管理局",
    "莆田市鞋业有限公司",
    "莆田市工艺美术有限公司",
    "秀屿区卫生院",
]

DESTINATIONS = [
    "广东省深圳市",
    "广东省广州市",
    "上海市浦东新区",
    "浙江省杭州市",
    "江苏省苏州市",
    "北京市朝阳区",
    "福建省厦门市",
    "福建省福州市",
    "湖北省武汉市",
    "四川省成都市",
    "云南省昆明市",
    "新疆维吾尔自治区乌鲁木齐市",
]


def member_name(rng: random.Random, female: bool) -> str:
    chars = FEMALE_GIVEN if female else MALE_GIVEN
    given = rng.choice(chars)
    if rng.random() < 0.8:
        given += rng.choice(chars)
    return rng.choice(SURNAMES) + given
