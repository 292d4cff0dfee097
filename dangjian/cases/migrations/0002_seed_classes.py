"""Seed the taxonomy: the event and facility classes of digital city management (DOMAIN.md,
"Grid event closed loop") and the classes the seeds' deployments add (矛盾纠纷, 安全隐患,
民生诉求, 投诉建议). Each names its default department (resolved by name within the
dispatching area), its time limit and the keywords that suggest it. Deployments edit and
extend these rows; the data is frozen here so later code changes do not rewrite history."""

from django.db import migrations

# code, name, kind, department, limit, unit, keywords
CLASSES = [
    (
        "environment",
        "市容环境",
        "event",
        "环卫所",
        3,
        "workdays",
        [
            "垃圾", "暴露垃圾", "积存垃圾", "垃圾堆积", "渣土", "乱倒", "乱扔", "乱丢", "污水",
            "脏乱", "脏乱差", "卫生", "油烟", "异味", "发臭", "臭味", "焚烧", "粪便", "噪音",
            "噪声", "扰民", "漂浮物", "白色垃圾", "积水发臭",
        ],
    ),
    (
        "advertising",
        "宣传广告",
        "event",
        "城管执法中队",
        3,
        "workdays",
        [
            "小广告", "广告", "牛皮癣", "横幅", "条幅", "张贴", "涂写", "喷涂", "传单",
            "非法广告", "广告牌", "招牌", "店招", "灯箱", "野广告",
        ],
    ),
    (
        "construction",
        "施工管理",
        "event",
        "住建局",
        5,
        "workdays",
        [
            "施工", "工地", "施工噪音", "夜间施工", "违章搭建", "违建", "违法建设", "私搭乱建",
            "占道施工", "扬尘", "渣土车", "围挡", "工程车", "装修",
        ],
    ),
    (
        "emergency",
        "突发事件",
        "event",
        "应急办",
        2,
        "workhours",
        [
            "火灾", "着火", "起火", "冒烟", "爆炸", "燃气泄漏", "煤气泄漏", "漏气", "坍塌",
            "塌方", "内涝", "水管爆裂", "爆管", "触电", "被困", "溺水", "山体滑坡",
        ],
    ),
    (
        "street_order",
        "街面秩序",
        "event",
        "城管执法中队",
        1,
        "workdays",
        [
            "占道经营", "流动摊贩", "摆摊", "摊贩", "店外经营", "乱停车", "乱停乱放", "违停",
            "共享单车", "乞讨", "卖艺", "露天烧烤", "占道", "跨门经营", "堵路",
        ],
    ),
    ("other_event", "其他", "event", "综治中心", 5, "workdays", []),
    (
        "public_facility",
        "公用设施",
        "facility",
        "市政所",
        3,
        "workdays",
        [
            "井盖", "窨井盖", "雨水井", "污水井", "下水道", "消防栓", "路灯", "电线杆", "电箱",
            "变压器", "水表", "燃气管", "自来水", "停水", "停电", "供水", "管道", "光缆",
        ],
    ),
    (
        "road_traffic",
        "道路交通",
        "facility",
        "市政所",
        3,
        "workdays",
        [
            "道路", "路面", "坑洼", "坑槽", "塌陷", "红绿灯", "信号灯", "交通标志", "标志牌",
            "护栏", "隔离栏", "斑马线", "公交站", "站牌", "人行道", "盲道", "减速带", "桥梁",
        ],
    ),
    (
        "environment_facility",
        "市容环境",
        "facility",
        "环卫所",
        3,
        "workdays",
        [
            "垃圾桶", "垃圾箱", "果皮箱", "公厕", "公共厕所", "厕所", "垃圾房", "中转站",
            "化粪池", "分类垃圾桶", "垃圾亭",
        ],
    ),
    (
        "greening",
        "园林绿化",
        "facility",
        "园林所",
        5,
        "workdays",
        [
            "树木", "树枝", "大树", "倒伏", "绿化", "草坪", "绿地", "花坛", "古树",
            "行道树", "枯死", "修剪", "毁绿", "树倒", "断枝",
        ],
    ),
    (
        "housing_land",
        "房屋土地",
        "facility",
        "住建局",
        10,
        "workdays",
        [
            "危房", "房屋", "墙体", "裂缝", "漏水", "渗水", "外墙", "脱落", "墙皮",
            "群租", "空置房", "楼道", "屋顶", "阳台",
        ],
    ),
    ("other_facility", "其他设施", "facility", "综治中心", 5, "workdays", []),
    (
        "dispute",
        "矛盾纠纷",
        "event",
        "综治中心",
        10,
        "workdays",
        [
            "纠纷", "邻里纠纷", "吵架", "争吵", "矛盾", "打架", "欠薪", "讨薪", "拖欠工资",
            "家庭纠纷", "物业纠纷", "土地纠纷", "调解", "争执",
        ],
    ),
    (
        "safety_hazard",
        "安全隐患",
        "event",
        "应急办",
        1,
        "workdays",
        [
            "隐患", "安全隐患", "私拉电线", "飞线充电", "电动车充电", "消防通道", "高空坠物",
            "煤气罐", "液化气", "灭火器", "安全出口", "电线老化",
        ],
    ),
    (
        "livelihood",
        "民生诉求",
        "event",
        "民政办",
        3,
        "workdays",
        [
            "低保", "救助", "养老", "医保", "社保", "就业", "残疾", "困难", "求助", "办证",
            "咨询", "补贴", "孤寡老人", "独居老人", "助餐",
        ],
    ),
    (
        "complaint",
        "投诉建议",
        "event",
        "综治中心",
        13,
        "workdays",
        ["投诉", "建议", "意见", "不作为", "态度差", "乱收费", "推诿"],
    ),
]


def seed(apps, schema_editor):
    EventClass = apps.get_model("cases", "EventClass")
    for i, (code, name, kind, dept, value, unit, keywords) in enumerate(CLASSES):
        EventClass.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "department_name": dept,
                "limit_value": value,
                "limit_unit": unit,
                "keywords": keywords,
                "sort": (i + 1) * 10,
                "active": True,
            },
        )


def unseed(apps, schema_editor):
    EventClass = apps.get_model("cases", "EventClass")
    EventClass.objects.filter(code__in=[c[0] for c in CLASSES], events__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
