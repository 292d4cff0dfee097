"""Demo events of the grid event closed loop, planned in memory and written in bulk.

``seed_events(b, users, progress)`` is called once by ``dangjian.demo.generator.seed`` for
both scales: about 200,000 events over the last two years at city scale (``CITY_EVENTS``), a
few hundred in the small city (``SMALL_EVENTS``). Each event walks the workflow of
``models.FLOW`` as people do: reported by grid workers on patrol, residents, members, visits
and departments; most opened and dispatched the same day to the department named by its
class (the township's 环卫所, 城管执法中队, 市政所 ... created here, or the county's 住建局);
signed for; a few returned (退单) and redispatched, extended, escalated, failed at
verification, reopened; handled mostly on time (deadlines by ``sla.deadline_for``, i.e.
``core.workdays``), some overdue; closed, and most rated. The closure rate of the opened events
lands near Putian's 96.3% (the recent ones still running, a few stuck overdue).

Descriptions come from per-class phrases (some with the taxonomy's keywords, many in the
words residents use instead), places and tails, and a few are filed by the dispatcher under
another class than their words suggest, so the keyword rules and the trained classifier have
something real to be measured on (``bench/cases_classifier.py``). Tokens go through
``text.tokens`` (per fragment, cached), the phone through the EncryptedField and
``crypto.blind_index`` like the services write them. The history (``EventStep``) is written
for every event of the small city, and at city scale for the events of the last
``CITY_HISTORY_DAYS`` and the ones still open (the older closed ones keep their moments on the
event row). Rows are written with one ``executemany`` per batch (``_Table``), with explicit ids
(PostgreSQL's sequences moved past them after). Deterministic for a scale, relative to today.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts import labels
from dangjian.accounts.models import Department
from dangjian.cases import overdue, sla
from dangjian.cases.classification import classifier, text
from dangjian.cases.models import (
    CLOSED_STATES,
    RATED_SOURCES,
    RUNNING_STATES,
    Event,
    EventClass,
    EventNotice,
    EventStep,
    LimitUnit,
    Rating,
    Resolution,
    SlaStatus,
    Source,
    State,
)
from dangjian.core import crypto, tree
from dangjian.core.workdays import OFFICE_TZ
from dangjian.demo import names

CITY_EVENTS = 200_000
SMALL_EVENTS = 400
DAYS = 730
# At city scale the step-by-step history is written for the events of the last months and the
# ones still open (the older closed ones keep their moments on the event row).
CITY_HISTORY_DAYS = 120
STEP_COLUMNS = (
    "id",
    "event_id",
    "action",
    "from_state",
    "to_state",
    "actor_id",
    "actor_name",
    "note",
    "sla_status",
    "deadline",
    "department_name",
    "data",
    "at",
)
BATCH = 2000
# The demo resident's and member's closed reports waiting for their rating are this old at least.
SETTLED_AGE_DAYS = 60

# The class mix of a city's grid events (市容环境 and 街面秩序 lead, as in the seeds).
CLASS_MIX = {
    "environment": 27,
    "street_order": 15,
    "advertising": 8,
    "construction": 6,
    "emergency": 1,
    "other_event": 2,
    "public_facility": 9,
    "road_traffic": 7,
    "environment_facility": 5,
    "greening": 4,
    "housing_land": 3,
    "other_facility": 1,
    "dispute": 5,
    "safety_hazard": 4,
    "livelihood": 5,
    "complaint": 3,
}

# What people write, per class: some phrases carry the taxonomy's keywords, many do not.
PHRASES = {
    "environment": [
        "垃圾堆积没人清运",
        "路边堆了很多生活垃圾",
        "有人往河里倒泔水，水都发黑了",
        "餐馆的油烟直接排到居民楼里",
        "沟渠堵塞，污水横流",
        "空地上有人烧落叶，烟雾很大",
        "楼下狗屎没人清理",
        "菜场地面又脏又滑，腥味很重",
        "河面上漂着死鱼和塑料袋",
        "有人半夜在路边倒建筑渣土",
        "烧烤摊晚上吵闹，噪音扰民",
        "垃圾中转点周边气味难闻",
        "小巷里蚊蝇成群，卫生太差",
        "化工厂排放刺鼻气体",
        "路面撒落泥浆，扫了又有",
        "废品收购站堆放杂乱，气味刺鼻",
    ],
    "street_order": [
        "流动摊贩占道经营",
        "早市摊点摆到马路中间",
        "人行道上乱停车，行人只能走机动车道",
        "共享单车乱停乱放堵住出口",
        "店家把桌椅摆到店外经营",
        "三轮车卖水果把路口堵了",
        "路边修车铺占用人行道",
        "有人在天桥上乞讨卖艺",
        "货车长期停在消防车道旁的路边",
        "夜市摊位收摊后一地狼藉还占着车道",
        "电动车横七竖八停在公交站前",
        "私家车停在盲道上",
        "商户在门口晾晒衣物和杂物",
    ],
    "advertising": [
        "电线杆上贴满了小广告",
        "墙上被人喷涂办证电话",
        "楼道里塞满了传单",
        "店铺门口私自挂横幅",
        "广告牌歪斜随时可能掉下来",
        "招牌灯箱破损，晚上一闪一闪",
        "路口立了好几块违规的宣传展板",
        "车窗上被夹满了卡片",
        "外墙上的大型喷绘布被风刮破了",
        "楼梯扶手上贴满了开锁疏通的贴纸",
    ],
    "construction": [
        "工地夜间施工，吵得睡不着",
        "有人在楼顶私搭乱建",
        "施工现场没有围挡，尘土飞扬",
        "渣土车沿路撒漏",
        "装修从早到晚砸墙",
        "一楼住户违章搭建扩出院子",
        "工地车辆带泥上路",
        "打桩机凌晨还在作业",
        "拆迁工地的废墟长期没人清理",
        "有人把阳台改成了房间往外扩",
        "工地围墙倾斜，路人经过很危险",
    ],
    "emergency": [
        "五楼阳台着火了，一直在冒烟",
        "闻到很浓的燃气味，怀疑泄漏",
        "暴雨后地下车库进水，有人被困",
        "自来水管爆裂，街上水流成河",
        "老房子部分坍塌",
        "山边有落石，道路被堵住了",
        "电线掉落在地上冒火花",
        "河边有小孩落水",
    ],
    "other_event": [
        "有一条流浪狗在小区里追咬行人",
        "附近有人饲养家禽，味道和叫声影响休息",
        "小区门禁坏了，外人随便进出",
        "楼上有人高空抛物",
        "野猫太多，晚上叫个不停",
        "马蜂在树上筑了大窝",
    ],
    "public_facility": [
        "路口的井盖缺失了",
        "这条街的路灯不亮了",
        "小区突然停水",
        "消防栓漏水好几天了",
        "变压器嗡嗡响，晚上很吵",
        "下水道堵住了，雨一下就往外冒",
        "路边电箱的门开着，线都露在外面",
        "窨井盖松动，车一压就响",
        "路灯杆被撞歪了",
        "小区水压太低，高层用不上水",
        "通信光缆垂下来挂到了路上",
        "雨水篦子被堵，积水排不出去",
    ],
    "road_traffic": [
        "路面坑洼不平，积水很深",
        "十字路口的红绿灯坏了",
        "公交站牌被撞倒了",
        "护栏断了一截",
        "斑马线磨得看不清了",
        "道路中间塌了一个大坑",
        "减速带松脱，车过时很颠",
        "桥面出现裂缝",
        "人行道地砖松动，一踩就溅水",
        "交通指示牌被树挡住看不见",
        "路口没有右转标线，经常刮蹭",
        "隔离墩被撞散在车道上",
    ],
    "environment_facility": [
        "垃圾桶满了溢出来",
        "公厕太脏，冲水坏了",
        "垃圾房的门坏了关不上",
        "分类垃圾桶被人拿走了",
        "化粪池满了往外冒",
        "果皮箱破损",
        "公共厕所晚上不开门",
        "小区的垃圾亭顶棚塌了",
        "收集点的桶都破了底",
    ],
    "greening": [
        "台风把行道树刮倒了",
        "树枝太长挡住了窗户",
        "绿地被人毁绿种菜",
        "花坛里的花草都枯死了",
        "大树断枝悬在半空",
        "古树被人钉钉子挂东西",
        "草坪长期没人修剪，杂草齐腰",
        "树根把路面拱起来了",
        "公园里的灌木被人砍了",
        "榕树的气根垂到路中间",
    ],
    "housing_land": [
        "老房子外墙脱落",
        "楼顶漏水，家里天花板发霉",
        "墙体裂缝越来越大",
        "楼道的墙皮一块块往下掉",
        "一套房子住了十几个人，群租",
        "危房里还有人住",
        "空置房门窗破损，有人在里面过夜",
        "阳台的混凝土掉块，露出钢筋",
        "屋檐的瓦片松动，怕掉下来砸到人",
    ],
    "dispute": [
        "邻里因为漏水吵了起来",
        "老板拖欠工资半年了",
        "两家人为了宅基地边界争执不下",
        "楼上楼下为了噪音吵架",
        "夫妻打架，孩子在哭",
        "物业和业主为停车费争吵",
        "兄弟为赡养老人闹矛盾",
        "装修工人讨要工钱堵了门",
        "租客和房东为押金闹翻了",
        "两户人家为了公共走道堆物起了冲突",
    ],
    "safety_hazard": [
        "楼道里有人飞线充电",
        "消防通道被杂物堵死",
        "餐馆后厨煤气罐放在过道",
        "电线老化，经常跳闸冒火花",
        "小区的灭火器都过期了",
        "阳台上堆放大量易燃物",
        "电动车停在楼梯间里充电",
        "安全出口被锁住了",
        "高层窗台放着花盆，怕掉下来",
        "仓库里住人，没有逃生通道",
    ],
    "livelihood": [
        "独居老人生活困难，想申请低保",
        "残疾人补贴什么时候发",
        "想咨询医保怎么转移",
        "孩子入学需要开什么证明",
        "老人想报名社区助餐",
        "失业了想找工作，有没有培训",
        "家里有重病病人，能不能申请救助",
        "老年人高龄津贴怎么领",
        "退役军人优待证在哪里办",
        "孤寡老人家里没人照看",
        "想给行动不便的母亲申请上门服务",
    ],
    "complaint": [
        "投诉物业乱收费",
        "窗口工作人员态度差",
        "反映的事情一个月了没人回复",
        "建议小区增设充电桩",
        "建议在路口加装监控",
        "物业收了钱不办事",
        "办事要跑好几趟，推来推去",
        "建议公园延长开放时间",
    ],
}
PHRASES["other_facility"] = [
    "健身器材坏了",
    "儿童滑梯有个螺丝松了",
    "宣传栏玻璃碎了",
    "小区的休闲座椅断了",
    "电子显示屏不亮了",
    "公共自行车桩坏了",
]

# Words that pull the rules one way while the dispatcher files the event another way.
MISFILED = {
    "dispute": ("housing_land", 0.15),
    "environment": ("environment_facility", 0.05),
    "construction": ("environment", 0.05),
    "safety_hazard": ("emergency", 0.03),
    "complaint": ("livelihood", 0.05),
}
PLACES = [
    "小区东门",
    "小区西门",
    "菜市场门口",
    "学校附近",
    "幼儿园旁边",
    "公交站旁",
    "十字路口",
    "老街",
    "商业街",
    "河边步道",
    "公园里",
    "村口",
    "祠堂前",
    "卫生院门口",
    "农贸市场",
    "广场",
    "巷子里",
    "桥头",
    "地下车库",
    "3号楼下",
    "5号楼旁",
    "停车场",
]
TAILS = [
    "",
    "",
    "，请尽快处理",
    "，已经好几天了",
    "，居民意见很大",
    "，希望有关部门管一管",
    "，反映过好几次了",
    "，老人小孩经过很不安全",
    "，麻烦派人来看看",
    "，晚上尤其明显",
]
# Township departments by the classes' default department names (DOMAIN.md: each class names
# its department); 住建局 at the county.
TOWNSHIP_DEPARTMENTS = (
    "环卫所",
    "城管执法中队",
    "市政所",
    "应急办",
    "综治中心",
    "园林所",
    "民政办",
)
COUNTY_DEPARTMENTS = ("住建局",)

SOURCE_MIX = {
    Source.PATROL: 58,
    Source.RESIDENT: 25,
    Source.MEMBER: 6,
    Source.VISIT: 6,
    Source.DEPARTMENT: 5,
}
RATINGS = {Rating.SATISFIED: 83, Rating.BASIC: 12, Rating.DISSATISFIED: 5}


class _Tokens:
    """``text.tokens`` per fragment, cached: a description is a few fragments."""

    def __init__(self, words: set[str]):
        self.words = words
        self.cache: dict[str, list[str]] = {}

    def __call__(self, *parts: str) -> str:
        out: list[str] = []
        seen: set[str] = set()
        for p in parts:
            toks = self.cache.get(p)
            if toks is None:
                toks = self.cache[p] = text.tokens(p, self.words)
            for t in toks:
                if t not in seen:
                    seen.add(t)
                    out.append(t)
        return " ".join(out)


def describe(rng: random.Random, code: str) -> tuple[str, tuple[str, ...]]:
    """A description of an event of class ``code`` and the fragments it is made of."""
    place = rng.choice(PLACES)
    phrase = rng.choice(PHRASES[code])
    tail = rng.choice(TAILS)
    if rng.random() < 0.15:
        # A second phrase of the same class, as people pile up their complaints.
        extra = rng.choice(PHRASES[code])
        if extra != phrase:
            return f"{place}{phrase}，{extra}{tail}", (place, phrase, extra, tail)
    return f"{place}{phrase}{tail}", (place, phrase, tail)


def labelled_texts(n: int, seed: str = "dangjian-demo-texts") -> list[tuple[str, str]]:
    """``n`` (description, final class) pairs drawn like the demo events (the classifier's
    benchmark and tests use them)."""
    rng = random.Random(seed)
    codes, weights = zip(*CLASS_MIX.items(), strict=True)
    out = []
    for _ in range(n):
        code = rng.choices(codes, weights)[0]
        desc, _parts = describe(rng, code)
        out.append((desc, _final_class(rng, code)))
    return out


def _final_class(rng: random.Random, code: str) -> str:
    other = MISFILED.get(code)
    if other and rng.random() < other[1]:
        return other[0]
    return code


class _Deadlines:
    """``sla.deadline_for`` cached per (date, after office hours, limit) for working days."""

    def __init__(self):
        self.cache: dict = {}

    def __call__(self, start: dt.datetime, value: int, unit: str) -> dt.datetime:
        if unit == LimitUnit.WORKHOURS:
            return sla.deadline_for(start, value, unit)
        local = start.astimezone(OFFICE_TZ)
        key = (local.date(), local.hour >= 18, value)
        found = self.cache.get(key)
        if found is None or found <= start:
            found = self.cache[key] = sla.deadline_for(start, value, unit)
        return found


def _office_moment(rng: random.Random, day: dt.date) -> dt.datetime:
    """A moment of ``day``: mostly daytime (patrols, calls), a few in the evening."""
    hour = rng.choices(range(7, 22), [2, 6, 9, 9, 8, 5, 7, 8, 8, 7, 5, 4, 3, 2, 1])[0]
    return dt.datetime.combine(day, dt.time(hour, rng.randrange(60)), tzinfo=OFFICE_TZ)


def _departments(b) -> dict:
    """The departments the classes name, at every township (and 住建局 at every county),
    unsaved; keyed by (area path, name)."""
    rng = random.Random(f"dangjian-demo-departments-{b.scale}")
    out = {}
    for county in b.kids[b.city.path]:
        for name in COUNTY_DEPARTMENTS:
            out[(county.path, name)] = county
        for township in b.kids[county.path]:
            for name in TOWNSHIP_DEPARTMENTS:
                out[(township.path, name)] = township
    rows = {}
    for (path, name), area in out.items():
        phone = names.mobile(rng)
        rows[(path, name)] = Department(
            name=name,
            area=area,
            area_path=path,
            phone=phone,
            phone_index=crypto.blind_index("phone", phone),
        )
    return rows


def seed_events(b, users: dict, progress: bool = True) -> dict:
    """Plan and write the demo events of the city ``b`` (a ``demo.generator.CityBuilder``
    already written); ``users`` are the demo accounts by username. Returns the counts."""
    started = time.perf_counter()
    scale_n = CITY_EVENTS if b.scale == "city" else SMALL_EVENTS
    rng = random.Random(f"dangjian-demo-events-{b.scale}")
    now = timezone.now()
    today = timezone.localdate()
    classes = {c.code: c for c in EventClass.objects.filter(active=True)}
    rule_list = text.rules()
    tok = _Tokens(text.keyword_set(rule_list))
    deadlines = _Deadlines()

    depts = _departments(b)
    Department.objects.bulk_create(list(depts.values()), batch_size=BATCH)
    demo_county = b.demo["county"]
    county_city_mgmt = Department.objects.filter(
        area=demo_county, name=b.demo["department_name"]
    ).first()
    # The history names each department with its areas, as live steps do (one query).
    named = [*depts.values(), *([county_city_mgmt] if county_city_mgmt else [])]
    found = labels.department_labels((i, d.name, d.area_path) for i, d in enumerate(named))
    for i, d in enumerate(named):
        d.history_label = found[i][:100]

    grids = b.areas[5]
    kids = b.kids
    weights = [max(g.households, 1) for g in grids]
    codes, class_weights = zip(*[(c, w) for c, w in CLASS_MIX.items() if c in classes], strict=True)
    sources, source_weights = zip(*SOURCE_MIX.items(), strict=True)
    ratings, rating_weights = zip(*RATINGS.items(), strict=True)
    grid_worker = users.get("demo-grid")
    resident = users.get("demo-resident")
    member = users.get("demo-member")
    demo_grid = b.demo["grid"]

    events_t = _Table(Event, now)
    steps_t = _Table(EventStep, now, STEP_COLUMNS)
    adapt_dt = _datetime_adapter()
    history_from = now - dt.timedelta(days=CITY_HISTORY_DAYS) if b.scale == "city" else None
    next_event = (Event.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    next_step = (EventStep.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    events: list[tuple] = []
    steps: list[tuple] = []
    stats: Counter = Counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=scale_n, desc="写入演示事件", unit="件", unit_scale=True, leave=False)

    # Slightly more events lately (the platform grows): day offsets drawn with a ramp.
    day_weights = [1 + 0.5 * i / DAYS for i in range(DAYS)]
    day_list = [today - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    chosen_days = rng.choices(day_list, day_weights, k=scale_n)
    chosen_grids = rng.choices(grids, weights, k=scale_n)
    if scale_n >= 20:
        # The demo grid gets its share, so the demo accounts see events of their own.
        for i in range(0, scale_n, max(scale_n // 60, 1)):
            chosen_grids[i] = demo_grid
    # The demo resident and member each have a report closed and waiting for their rating
    # (an older one of the demo grid, walked straight through to closure).
    settled = _settled_reports(
        [i for i in range(scale_n) if chosen_grids[i] is demo_grid],
        chosen_days,
        today,
        [(resident, Source.RESIDENT), (member, Source.MEMBER)],
    )
    notices: list = []

    for i in range(scale_n):
        grid = chosen_grids[i]
        units = kids.get(grid.path) or []
        where = rng.choice(units) if units and rng.random() < 0.3 else grid
        code = rng.choices(codes, class_weights)[0]
        desc, parts = describe(rng, code)
        final = classes[_final_class(rng, code)]
        reported = _office_moment(rng, chosen_days[i])
        if reported > now:
            reported = now - dt.timedelta(minutes=rng.randrange(5, 120))
        source = rng.choices(sources, source_weights)[0]
        reporter = None
        if i in settled:
            reporter, source = settled[i]
        elif grid is demo_grid:
            # The demo accounts' own reports: the grid worker's patrols, the resident's and
            # the member's reports (a visit's or a department's report is nobody's of theirs).
            reporter = {
                Source.PATROL: grid_worker,
                Source.RESIDENT: resident,
                Source.MEMBER: member,
            }.get(source)
        phone = names.mobile(rng) if source == Source.RESIDENT else ""
        township = b.by_path[grid.path[: 3 * tree.STEP_WIDTH]]
        county = b.by_path[grid.path[: 2 * tree.STEP_WIDTH]]
        ev = _Plan(events_t.defaults)
        ev.id = next_event
        next_event += 1
        ev.description = desc
        ev.place = parts[0]
        ev.area_id, ev.area_path, ev.grid_id = where.pk, where.path, grid.pk
        ev.event_class_id = final.pk
        ev.class_source = "dispatcher"
        ev.tokens = tok(*parts)
        ev.fingerprint = text.fingerprint(desc)
        ev.dispatch_area_id, ev.dispatch_area_path = township.pk, township.path
        ev.dispatch_name = township.name
        ev.source = source
        ev.reporter_id = reporter.pk if reporter else None
        ev.reporter_name = (
            (reporter.real_name if reporter else names.person_name(rng))
            if source != Source.DEPARTMENT
            else "部门巡查"
        )
        ev.anonymous = source == Source.RESIDENT and rng.random() < 0.1
        # Encrypted and indexed as the EncryptedField and the services do.
        ev.reporter_phone = crypto.encrypt(phone) if phone else ""
        ev.reporter_phone_index = crypto.blind_index("phone", phone) if phone else ""
        ev.reported_at = reported
        dept = _department_for(depts, final, township, county)
        if (
            county is demo_county
            and county_city_mgmt
            and final.code in ("advertising", "street_order")
        ):
            dept = county_city_mgmt
        history = _walk(
            rng, ev, final, dept, county, now, deadlines, ratings, rating_weights, i in settled
        )
        events.append(events_t.row(ev.__dict__))
        if ev.overdue_at is not None:
            # The 超期通报 the sweep or the late move would have written (the same rows).
            notices.append(
                overdue.notice(
                    event_id=ev.id,
                    deadline=ev.deadline,
                    department_id=ev.department_id,
                    at=ev.overdue_at,
                )
            )
        if history_from is None or reported >= history_from or ev.state not in CLOSED_STATES:
            for action, before, after, at, note, status, deadline, dept_name, data in history:
                steps.append(
                    (
                        next_step,
                        ev.id,
                        action,
                        before,
                        after,
                        None,
                        _actor(action, ev),
                        note,
                        status,
                        adapt_dt(deadline),
                        dept_name,
                        json.dumps(data, ensure_ascii=False) if data else "{}",
                        adapt_dt(at),
                    )
                )
                next_step += 1
            stats["steps"] += len(history)
        stats[ev.state] += 1
        if len(events) >= BATCH:
            events_t.write(events)
            steps_t.write(steps)
            EventNotice.objects.bulk_create(notices, batch_size=BATCH)
            if bar is not None:
                bar.update(len(events))
            events, steps, notices = [], [], []
    events_t.write(events)
    steps_t.write(steps)
    EventNotice.objects.bulk_create(notices, batch_size=BATCH)
    if bar is not None:
        bar.update(len(events))
        bar.close()
    _reset_sequences()
    written = time.perf_counter()
    model = classifier.train(audited=False)  # the demo.seed audit row records it
    opened = sum(
        v for k, v in stats.items() if k in State.values and k not in ("collected", "cancelled")
    )
    closed = stats[State.CLOSED] + stats[State.EVALUATED]
    visit_counts = seed_visits(b, users, rng=random.Random(f"dangjian-demo-visits-{b.scale}"))
    return {
        **visit_counts,
        "events": scale_n,
        "event_departments": len(depts),
        "events_closed": closed,
        "events_closure_rate": round(closed / opened, 4) if opened else None,
        "event_steps": stats["steps"],
        "classifier_version": model.version if model else None,
        "classifier_accuracy": model.evaluation if model else None,
        "event_seconds": round(written - started, 2),
        "classifier_seconds": round(time.perf_counter() - written, 2),
    }


def _department_for(depts, klass, township, county):
    name = klass.department_name
    return depts.get((township.path, name)) or depts.get((county.path, name))


class _Plan:
    """An event being planned: its columns by attribute name (plus a few helpers)."""

    def __init__(self, defaults: dict):
        self.__dict__.update(defaults)
        self.dept = None
        self.dispatch_name = ""


class _Table:
    """Rows of ``model`` written with one ``executemany`` per batch: values by attribute
    name, the model's defaults for the rest, datetimes, dates and JSON adapted the way the
    backend's fields adapt them (UTC text on SQLite)."""

    def __init__(self, model, now, columns: tuple[str, ...] | None = None):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        if columns is not None:
            # Rows built as tuples in this order by the caller.
            by_name = {f.attname: f for f in self.fields}
            assert set(columns) == set(by_name), f"{model.__name__} columns changed"
            self.fields = [by_name[c] for c in columns]
        self.defaults = {}
        for f in self.fields:
            if f.primary_key:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
            else:
                self.defaults[f.attname] = f.get_default()
        qn = connection.ops.quote_name
        cols = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({cols}) VALUES ({marks})"
        sqlite = connection.vendor == "sqlite"
        self.adapters = []
        for f in self.fields:
            kind = f.get_internal_type()
            if kind == "JSONField":
                self.adapters.append(lambda v: None if v is None else json.dumps(v))
            elif kind == "DateTimeField" and sqlite:
                self.adapters.append(
                    lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
                )
            elif kind == "DateField" and sqlite:
                self.adapters.append(lambda v: None if v is None else v.isoformat())
            else:
                self.adapters.append(None)
        self.attnames = [f.attname for f in self.fields]

    def row(self, values: dict) -> tuple:
        defaults = self.defaults
        out = []
        for name, adapt in zip(self.attnames, self.adapters, strict=True):
            v = values[name] if name in values else defaults.get(name)
            out.append(adapt(v) if adapt is not None else v)
        return tuple(out)

    def write(self, rows: list[tuple]) -> None:
        if rows:
            with connection.cursor() as cur:
                cur.executemany(self.sql, rows)


def _datetime_adapter():
    """Aware datetimes as the backend's DateTimeField stores them (UTC text on SQLite)."""
    if connection.vendor != "sqlite":
        return lambda v: v

    def adapt(v):
        return None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))

    return adapt


def _reset_sequences() -> None:
    """After writing explicit ids: move PostgreSQL's sequences past them."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Event, EventStep])
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


def _actor(action: str, ev) -> str:
    if action in ("collect", "evaluate"):
        return "匿名群众" if ev.anonymous else ev.reporter_name
    if action in ("accept", "return", "request_extension", "finish"):
        return ev.dept.name if ev.dept else "承办部门"
    return f"{ev.dispatch_name}指挥中心"


NOTES = {
    "cancel": ["不属于网格事件受理范围", "重复上报", "信息不全，无法核实"],
    "return": ["非本部门职责", "地址不在本辖区", "应由上级部门处理"],
    "request_extension": ["需协调多个部门", "需等待材料到货", "天气原因无法施工"],
    "finish": ["已处理完毕", "已现场整改", "已清理完毕", "已协调解决", "已答复当事人"],
    "verify_fail": ["现场仍未整改到位", "群众反映问题依旧"],
    "escalate": ["街道无法协调，请区里统筹"],
    "reopen": ["群众反映问题复发"],
}


def _settled_reports(indexes, days, today, people) -> dict:
    """Event index → (reporter, source) for each of ``people`` whose account exists: one of
    the demo grid's reports at least ``SETTLED_AGE_DAYS`` old, each its own."""
    old = [i for i in indexes if (today - days[i]).days >= SETTLED_AGE_DAYS]
    out = {}
    for i, (user, source) in zip(old, [p for p in people if p[0] is not None], strict=False):
        out[i] = (user, source)
    return out


def _walk(rng, ev, klass, dept, county, now, deadlines, ratings, rating_weights, settle=False):
    """Move ``ev`` through the workflow as far as ``now`` allows; the history rows.

    ``settle``: straight through to closure, on time and not rated (the random draws are
    made all the same, so the other events come out as without it). A running event past
    its deadline is overdue from five minutes after it."""
    steps: list[tuple] = []
    t = ev.reported_at
    state = State.COLLECTED
    steps.append(("collect", "", state, t, "", SlaStatus.NOT_STARTED, None, "", {}))

    def step(action, to, at, status, note="", data=None):
        nonlocal state
        steps.append(
            (
                action,
                state,
                to,
                at,
                note,
                status,
                ev.deadline,
                getattr(ev.dept, "history_label", ev.dept.name) if ev.dept else "",
                data or {},
            )
        )
        state = to

    def done():
        ev.state = state
        if state in RUNNING_STATES and ev.deadline and now > ev.deadline and not ev.overdue_at:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return steps

    if rng.random() < 0.02 and not settle:
        at = t + dt.timedelta(minutes=rng.randrange(20, 600))
        if at <= now:
            step("cancel", State.CANCELLED, at, SlaStatus.NOT_STARTED, rng.choice(NOTES["cancel"]))
        return done()
    t += dt.timedelta(minutes=rng.randrange(5, 240))
    if t > now:
        return done()
    ev.opened_at = t
    step("open", State.OPENED, t, SlaStatus.NOT_STARTED)
    if rng.random() < 0.01 and not settle:
        # Escalated: the county dispatches.
        t += dt.timedelta(minutes=rng.randrange(30, 600))
        if t > now:
            return done()
        step("escalate", State.ESCALATED, t, SlaStatus.NOT_STARTED, NOTES["escalate"][0])
        ev.dispatch_area_id, ev.dispatch_area_path = county.pk, county.path
        ev.dispatch_name = county.name
        ev.escalation_count = 1

    def dispatch(action, at):
        ev.dept, ev.department_id = dept, dept.pk
        ev.limit_value, ev.limit_unit = klass.limit_value, klass.limit_unit
        ev.dispatched_at = at
        ev.first_dispatched_at = ev.first_dispatched_at or at
        ev.deadline = deadlines(at, klass.limit_value, klass.limit_unit)
        ev.chase_at = ev.deadline - (ev.deadline - at) / 4
        ev.accepted_at = None
        step(
            action,
            State.DISPATCHED,
            at,
            SlaStatus.NOT_STARTED if action == "dispatch" else SlaStatus.STOPPED,
            data={"department_id": dept.pk, "department_name": dept.name},
        )

    t += dt.timedelta(minutes=rng.randrange(5, 90))
    if t > now:
        return done()
    dispatch("dispatch", t)
    if rng.random() < 0.04 and not settle:
        t += dt.timedelta(minutes=rng.randrange(30, 1440))
        if t > now:
            return done()
        ev.deadline = ev.chase_at = None
        ev.return_count = 1
        step("return", State.RETURNED, t, SlaStatus.NORMAL, rng.choice(NOTES["return"]))
        t += dt.timedelta(minutes=rng.randrange(30, 600))
        if t > now:
            return done()
        dispatch("redispatch", t)
    if rng.random() < 0.012 and not settle:
        # Never signed for: still waiting (or long overdue).
        return done()
    t += dt.timedelta(minutes=rng.randrange(5, 600))
    if t > now:
        return done()
    ev.accepted_at = t
    step("accept", State.HANDLING, t, _status(ev, t))
    span = ev.deadline - ev.dispatched_at
    if rng.random() < 0.03 and not settle:
        at = ev.dispatched_at + span * rng.uniform(0.3, 0.7)
        if at > now:
            return done()
        step(
            "request_extension",
            State.EXTENSION_REQUESTED,
            at,
            _status(ev, at),
            rng.choice(NOTES["request_extension"]),
            {"extension": "3个工作日"},
        )
        at += dt.timedelta(minutes=rng.randrange(30, 600))
        if at > now:
            return done()
        ev.deadline = sla.extended(ev.deadline, 3, LimitUnit.WORKDAYS)
        ev.extension_count = 1
        step(
            "grant_extension", State.HANDLING, at, _status(ev, at), data={"extension": "3个工作日"}
        )
        span = ev.deadline - ev.dispatched_at
    if rng.random() < 0.014 and not settle:
        # Stuck: still being handled, past its deadline.
        if now > ev.deadline:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return done()
    late = rng.random() < 0.08 and not settle
    share = rng.uniform(1.02, 2.5) if late else rng.uniform(0.1, 0.97)
    handled = max(ev.dispatched_at + span * share, ev.accepted_at + dt.timedelta(minutes=10))
    if handled > now:
        if now > ev.deadline:
            ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
        return done()
    if handled > ev.deadline:
        ev.overdue_at = ev.deadline + dt.timedelta(minutes=5)
    status = _status(ev, handled)
    ev.handled_at = handled
    ev.on_time = handled <= ev.deadline
    ev.handling_seconds = int((handled - ev.dispatched_at).total_seconds())
    step("finish", State.HANDLED, handled, status, rng.choice(NOTES["finish"]))
    t = handled + dt.timedelta(minutes=rng.randrange(30, 2880))
    if rng.random() < 0.03 and t <= now and not settle:
        step("verify_fail", State.HANDLING, t, _done_status(ev), rng.choice(NOTES["verify_fail"]))
        t += dt.timedelta(minutes=rng.randrange(60, 1440))
        if t > now:
            ev.on_time = ev.handled_at = ev.handling_seconds = None
            return done()
        ev.handled_at = t
        ev.on_time = t <= ev.deadline
        ev.handling_seconds = int((t - ev.dispatched_at).total_seconds())
        step("finish", State.HANDLED, t, _status(ev, t), rng.choice(NOTES["finish"]))
        t += dt.timedelta(minutes=rng.randrange(30, 1440))
    if t > now:
        return done()
    ev.closed_at = t
    # Most problems solved; some only answered (a request beyond what can be done).
    ev.resolution = Resolution.SOLVED if rng.random() < 0.9 else Resolution.ANSWERED
    step("verify_pass", State.CLOSED, t, _done_status(ev), data={"resolution": ev.resolution})
    # Patrol finds and departments' own reports have no reporter to rate them.
    if ev.source in RATED_SOURCES and rng.random() < 0.72 and not settle:
        t += dt.timedelta(minutes=rng.randrange(10, 4320))
        if t <= now:
            ev.rating = rng.choices(ratings, rating_weights)[0]
            ev.evaluated_at = t
            step("evaluate", State.EVALUATED, t, _done_status(ev), data={"rating": ev.rating})
    return done()


def _status(ev: Event, at: dt.datetime) -> str:
    if ev.deadline is None:
        return SlaStatus.STOPPED
    if at > ev.deadline:
        return SlaStatus.OVERDUE
    if ev.chase_at and at >= ev.chase_at:
        return SlaStatus.CHASE
    return SlaStatus.NORMAL


def _done_status(ev: Event) -> str:
    return SlaStatus.MET if ev.on_time else SlaStatus.LATE


# --- household visits (驻点直联) ----------------------------------------------------------------

VISIT_WEEKS = 8
# The share of a village's households its team visits in a week (drawn per village and week).
VISIT_SHARE = (0.25, 0.6)
VISIT_NOTES = (
    "家中老人身体尚可，宣传了防诈骗知识",
    "了解家庭生活情况，无特殊诉求",
    "宣传垃圾分类和文明养犬",
    "走访独居老人，提醒用电用气安全",
    "征求对社区服务的意见建议",
    "宣传医保缴费和防溺水安全",
    "住户外出，留下联系卡",
)
CITY_VISIT_VILLAGES = 6  # at city scale: the demo street's villages only (the seed stays fast)


def seed_visits(b, users: dict, rng: random.Random) -> dict:
    """A visit team per village and community and the last ``VISIT_WEEKS`` weeks of visits,
    so the coverage table and the records have something to show. The demo community's team
    has the demo secretary, grid worker and member; the others are named teams whose visits
    carry a visitor's name. Listed households (the small city) are visited by row; at city
    scale the doors are named. A few visits link the demo events reported by visits in their
    grid that day. Bulk written, deterministic for a scale."""
    from dangjian.cases.models import VisitRecord, VisitTeam
    from dangjian.cases.visits.services import WEEKDAYS, _household_key, week_of
    from dangjian.territory.models import AreaKind, Household

    village_kinds = (AreaKind.VILLAGE, AreaKind.COMMUNITY)
    if b.scale == "city":
        street = b.demo["street"]
        villages = [v for v in b.kids[street.path] if v.kind in village_kinds]
        villages = villages[:CITY_VISIT_VILLAGES]
    else:
        villages = [v for v in b.areas[4] if v.kind in village_kinds]
    if not villages:
        return {"visit_teams": 0, "visit_records": 0}
    today = timezone.localdate()
    community = b.demo["community"]
    teams = []
    for v in villages:
        teams.append(
            VisitTeam(
                area=v,
                area_path=v.path,
                name=f"{v.name}驻点直联小组",
                weekday=rng.choice(list(WEEKDAYS)[:5]),
            )
        )
    VisitTeam.objects.bulk_create(teams)
    teams = {
        t.area_path: t for t in VisitTeam.objects.filter(area_path__in=[v.path for v in villages])
    }
    demo_team = teams.get(community.path)
    people = [users.get(u) for u in ("demo-community", "demo-grid", "demo-member")]
    people = [u for u in people if u is not None]
    if demo_team is not None and people:
        demo_team.members.set([u for u in people if u.username != "demo-community"])
        demo_team.staff.set([u for u in people if u.username == "demo-community"])

    listed: dict[str, list[tuple]] = {}
    for pk, unit_id, path, label in (
        Household.objects.filter(area_path__in=[u.path for u in _units_of(b, villages)])
        .order_by("area_path", "id")
        .values_list("pk", "unit_id", "area_path", "label")
    ):
        listed.setdefault(path[: len(villages[0].path)], []).append((pk, unit_id, path, label))
    visit_events: dict[tuple, list[int]] = {}
    for pk, grid_id, reported in Event.objects.filter(
        source=Source.VISIT,
        grid__path__in=[g.path for v in villages for g in b.kids[v.path]],
        reported_at__gte=timezone.now() - dt.timedelta(weeks=VISIT_WEEKS),
    ).values_list("pk", "grid_id", "reported_at"):
        visit_events.setdefault((grid_id, timezone.localtime(reported).date()), []).append(pk)

    records, links = [], []
    demo_names = [u.real_name or u.username for u in people]
    for v in villages:
        team = teams[v.path]
        homes = listed.get(v.path) or [
            (None, u.pk, u.path, f"{u.name}{room}室")
            for u in _units_of(b, [v])
            for room in range(101, 101 + max(min(u.households, 6), 1))
        ]
        visitors = demo_names if team is demo_team and demo_names else [names.person_name(rng)]
        grid_of = {u.pk: g for g in b.kids[v.path] for u in b.kids.get(g.path, [])}
        for w in range(VISIT_WEEKS):
            monday = week_of(today) - dt.timedelta(weeks=w)
            share = rng.uniform(*VISIT_SHARE)
            for hh_pk, unit_id, path, label in rng.sample(homes, round(len(homes) * share)):
                day = monday + dt.timedelta(days=(team.weekday or 1) - 1 + rng.choice((0, 0, 1)))
                if day > today:
                    day = today - dt.timedelta(days=rng.randrange(0, 3))
                    if day < monday:
                        continue
                rec = VisitRecord(
                    team=team,
                    village_id=v.pk,
                    area_id=unit_id,
                    area_path=path,
                    household_id=hh_pk,
                    household_label=label,
                    household_key=_household_key(hh_pk, unit_id, label),
                    visited_on=day,
                    week=monday,
                    visitor_name=rng.choice(visitors),
                    notes=rng.choice(VISIT_NOTES),
                )
                records.append(rec)
                grid = grid_of.get(unit_id)
                waiting = visit_events.get((grid.pk, day)) if grid is not None else None
                if waiting:
                    links.append((rec, waiting.pop()))
    VisitRecord.objects.bulk_create(records, batch_size=BATCH)
    if demo_team is not None and people:
        grid_user = users.get("demo-grid")
        mine = [r for r in records if r.team_id == demo_team.pk]
        if grid_user is not None:
            VisitRecord.objects.filter(pk__in=[r.pk for r in mine if r.pk]).update(
                visitor=grid_user
            )
            VisitRecord.visitors.through.objects.bulk_create(
                [
                    VisitRecord.visitors.through(visitrecord_id=r.pk, user_id=grid_user.pk)
                    for r in mine
                    if r.pk
                ],
                batch_size=BATCH,
            )
    if any(r.pk is None for r, _e in links):
        links = []
    VisitRecord.events.through.objects.bulk_create(
        [VisitRecord.events.through(visitrecord_id=r.pk, event_id=e) for r, e in links],
        batch_size=BATCH,
    )
    return {"visit_teams": len(teams), "visit_records": len(records)}


def _units_of(b, villages) -> list:
    return [u for v in villages for g in b.kids[v.path] for u in b.kids.get(g.path, [])]
