"""What the demo events say: per-class phrases (some with the taxonomy's keywords, many in
the words residents use instead), places and tails, the class mix of a city's reports, and the
few filed by the dispatcher under another class than their words suggest (``MISFILED``), so
the keyword rules and the trained classifier have something real to be measured on.

``labelled_texts`` draws (description, final class) pairs exactly as ``demo.cases`` draws its
events; the classifier's benchmark (``bench/cases_classifier.py``) and tests read it.
"""

from __future__ import annotations

import random

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
        out.append((desc, final_class(rng, code)))
    return out


def final_class(rng: random.Random, code: str) -> str:
    other = MISFILED.get(code)
    if other and rng.random() < other[1]:
        return other[0]
    return code
