"""The thresholds of the assessment's rules: each a setting with the default of DOMAIN.md
(``settings.DANGJIAN[key]`` overrides the code's default, a ``RuleSetting`` row edited in the
console overrides both). A change is audited (``services.weak.rule_setting_set``) and applies
from the next computation: results are stored, never computed live."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from dangjian.core import conf


@dataclass(frozen=True)
class Knob:
    key: str
    label: str
    default: Decimal
    low: Decimal
    high: Decimal
    integer: bool = False


def _k(key, label, default, low, high, integer=False) -> Knob:
    return Knob(key, label, Decimal(str(default)), Decimal(str(low)), Decimal(str(high)), integer)


KNOBS: dict[str, Knob] = {
    k.key: k
    for k in (
        # 软弱涣散 (DOMAIN.md Assessment)
        _k("ASSESS_SECRETARY_VACANT_MONTHS", "书记空缺超过（月）", 3, 1, 24, True),
        _k("ASSESS_COMMITTEE_MIN_SEATS", "7名以上正式党员的组织委员会至少（人）", 3, 1, 7, True),
        _k("ASSESS_COMMITTEE_MIN_FULL", "须设委员会的正式党员数", 7, 3, 50, True),
        _k("ASSESS_MISSED_QUARTERS", "未召开党员大会或支委会的季度数达到", 1, 1, 4, True),
        _k("ASSESS_ELECTION_GRACE_DAYS", "换届逾期超过（天）", 0, 0, 365, True),
        _k("ASSESS_NO_DEVELOPMENT_YEARS", "村党组织未发展党员的年数达到", 2, 1, 10, True),
        _k("ASSESS_DUES_ARREARS_MONTHS", "欠缴党费按连续月数计（月）", 3, 1, 12, True),
        _k("ASSESS_DUES_ARREARS_SHARE", "欠缴党员占比超过", "0.2", 0, 1),
        _k("ASSESS_SATISFACTION_MIN", "事件办理满意率低于", "0.6", 0, 1),
        _k("ASSESS_SATISFACTION_MIN_RATED", "满意率至少按评价件数（件）", 5, 1, 1000, True),
        _k("ASSESS_EVENTS_SHARE", "事件数占全县(区)比例超过", "0.1", 0, 1),
        _k("ASSESS_EVENTS_MIN", "事件集中至少按全县(区)事件数（件）", 20, 1, 100000, True),
        _k("ASSESS_BOTTOM_SHARE", "后进比例（排名末位）", "0.05", "0.01", "0.5"),
        _k("ASSESS_RECTIFY_WORKDAYS", "整顿期限（工作日）", 120, 5, 500, True),
        # 评星定级: the figure that earns an indicator's full points
        _k("RATE_POINTS_FULL", "党员年均积分满分线（分）", 20, 1, 10000),
        _k("RATE_SERVICE_HOURS_FULL", "党员人均志愿服务时长满分线（小时）", 8, "0.5", 1000),
        # 双色预警
        _k("WARN_ORGLIFE_YELLOW", "一年内无故缺席组织生活（次）黄色", 2, 1, 50, True),
        _k("WARN_ORGLIFE_RED", "一年内无故缺席组织生活（次）红色", 4, 1, 50, True),
        _k("WARN_DUES_YELLOW", "连续欠缴党费（月）黄色", 3, 1, 12, True),
        _k("WARN_DUES_RED", "连续欠缴党费（月）红色", 6, 1, 24, True),
        _k("WARN_MOBILE_REPORT_MONTHS", "流动党员未向党组织报告（月）黄色", 12, 1, 36, True),
        _k("WARN_MOBILE_CONTACT_MONTHS", "流动党员失去联系（月）红色", 6, 1, 36, True),
        _k("WARN_CHECKIN_SERVICE_MONTHS", "在职党员未到社区服务（月）黄色", 12, 1, 36, True),
    )
}


def value(key: str) -> Decimal:
    """The threshold in force: the console's row, else the deployment's setting, else the
    default."""
    from dangjian.assessment.models import RuleSetting

    knob = KNOBS[key]
    row = RuleSetting.objects.filter(key=key).values_list("value", flat=True).first()
    raw = row if row is not None else conf.setting(key, knob.default)
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return knob.default


def snapshot() -> dict[str, Decimal]:
    """Every threshold in force, read once per computation (one query)."""
    from dangjian.assessment.models import RuleSetting

    rows = dict(RuleSetting.objects.values_list("key", "value"))
    out = {}
    for key, knob in KNOBS.items():
        raw = rows.get(key, conf.setting(key, knob.default))
        try:
            out[key] = Decimal(str(raw))
        except InvalidOperation:
            out[key] = knob.default
    return out


def as_int(values: dict[str, Decimal], key: str) -> int:
    return int(values[key])


def percent(value: Decimal) -> str:
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"
