"""Audit actions as people name them (issue 18: the audit log never shows ``member.create``).

``action_label(code)`` answers the Chinese name of any action the services record: the names
below, the workflow moves by their flows' own labels (an event dispatched reads “网格事件：派遣”),
and for a code nobody named yet a name composed from its object and its verb — never the code.
"""

from __future__ import annotations

import re

ACTION_LABELS = {
    "login": "登录",
    "login.failed": "登录失败",
    "login.locked": "锁定期间尝试登录",
    "login.throttled": "登录失败过多，等待期间的尝试",
    "password.failed": "核对密码错误",
    "password.throttled": "核对密码：等待期间的尝试",
    "token.issue": "签发接口令牌",
    "token.revoke": "退出登录（吊销接口令牌）",
    "user.sign_out_all": "退出所有设备",
    "user.create": "新建用户",
    "user.update": "修改用户",
    "user.password": "修改密码",
    "user.reset_password": "重置密码",
    "user.lock": "锁定账号",
    "user.unlock": "解除锁定",
    "user.deactivate": "停用账号",
    "user.reactivate": "恢复账号",
    "user.totp_enable": "启用双因素认证",
    "user.totp_disable": "停用双因素认证",
    "users.import": "Excel导入用户",
    "grant.add": "授权",
    "grant.revoke": "撤销授权",
    "invitation.issue": "发出注册邀请",
    "registration.submit": "提交注册申请",
    "registration.confirm": "通过注册申请",
    "registration.reject": "驳回注册申请",
    "department.create": "新建职能部门",
    "department.update": "修改职能部门",
    "area.create": "新建区域",
    "area.update": "修改区域",
    "area.move": "调整区域隶属",
    "area.merge": "并入其他区域",
    "area.merge_in": "接收并入的区域",
    "area.close": "撤销区域",
    "area.reopen": "恢复区域",
    "areas.import": "Excel导入区域",
    "boundaries.import": "导入区域边界",
    "households.import": "Excel导入住户",
    "org.create": "新建党组织",
    "org.update": "修改党组织",
    "org.move": "调整党组织隶属",
    "org.change_kind": "变更党组织类别",
    "org.dissolve": "撤销党组织",
    "org.checkin": "党组织到社区报到",
    "org.approval_authorize": "授权党工委审批发展党员",
    "org.approval_revoke": "撤销党工委审批发展党员的授权",
    "orgs.import": "Excel导入党组织",
    "pii.reveal": "查看完整个人信息",
    "audit.reveal_actor": "查看密封的操作人",
    "audit.purge": "清理过期审计记录",
    "holiday.set_year": "录入节假日安排",
    "file.store": "上传文件",
    "file.delete": "删除文件",
    "ledger.reverse": "冲正台账",
    "demo.seed": "生成演示数据",
    "list.export": "导出列表（Excel）",
    "member.create": "新建党员档案",
    "member.update": "修改党员档案",
    "member.photo": "上传党员照片",
    "member.photo_remove": "删除党员照片",
    "member.transfer": "转接组织关系",
    "member.readmit": "恢复党籍",
    "member.sanction": "登记党纪处分",
    "member.sanction_revoke": "撤销党纪处分",
    "member.link_account": "关联党员账号",
    "member.unlink_account": "解除党员账号关联",
    "member.mobile_register": "登记流动党员",
    "member.mobile_end": "结束流动党员管理",
    "member.checkin": "党员到社区报到（双报到）",
    "members.export": "导出党员名册",
    "members.export_job": "提交党员名册导出任务",
    "members.import": "Excel导入党员",
    "members.import_job": "提交党员导入任务",
    "members.job_cancel": "取消导入导出任务",
    "members.job_interrupted": "导入导出任务中断",
    "core.task_interrupted": "后台任务中断",
    "members.committee.record": "登记委员会选举结果",
    "members.committee.postpone": "批准延期换届",
    "members.committee.seat_add": "增补委员",
    "members.committee.seat_end": "委员离任",
    "checkin.service": "确认双报到服务",
    "unit_role.assign": "任命党员中心户或楼栋长",
    "unit_role.end": "免去党员中心户或楼栋长",
    "cadre.create": "登记两委干部",
    "cadre.update": "修改两委干部",
    "cadre.leave": "两委干部离任",
    "reserve_cadre.create": "登记后备干部",
    "mentor_pair.create": "建立导师帮带",
    "applicant.create": "登记入党申请人",
    "applicant.step": "办理发展党员步骤",
    "applicant.extend": "延长预备期",
    "applicant.cancel": "终止发展",
    "development_target.set": "设定发展党员计划",
    "event.batch_dispatch": "批量派遣网格事件",
    "event.create": "上报网格事件",
    "event.attach": "网格事件添加附件",
    "event.me_too": "网格事件“我也遇到”",
    "event.sla_sweep": "网格事件时限巡查",
    "event_class.create": "新建事件分类",
    "event_class.update": "修改事件分类",
    "classifier.train": "训练事件自动分类",
    "cases.metrics_export": "导出网格事件统计",
    "visit.record": "登记走访",
    "visit_team.create": "组建走访小组",
    "orglife.base.create": "新建组织生活基地",
    "orglife.plan.create": "新建组织生活计划",
    "orglife.plan_item.add": "添加计划事项",
    "orglife.plan_item.update": "修改计划事项",
    "orglife.plan_item.delete": "删除计划事项",
    "orglife.session.schedule": "安排组织生活",
    "orglife.session.update": "修改组织生活",
    "orglife.session.invite": "邀请参会人员",
    "orglife.session.photo": "上传会议照片",
    "orglife.session.review": "督查组织生活记录",
    "orglife.attendance.checkin": "会议签到",
    "orglife.attendance.mark": "登记出席情况",
    "orglife.attendance.leave_request": "党员请假",
    "orglife.rating.submit": "评价组织生活",
    "orglife.vote.record": "登记表决结果",
    "dues.profile_set": "设置党费类别和缴费基数",
    "dues.payment_create": "登记党费收缴",
    "dues.payment_batch": "批量登记党费收缴",
    "dues.payment_reverse": "冲正党费收缴",
    "dues.remittance_create": "登记党费上缴",
    "dues.hardship_request": "申请减免党费",
    "transfer.request": "申请转接组织关系",
    "transfer.record": "登记转接组织关系",
    "timebank.stations.import": "Excel导入驿站",
    "timebank.riders.import": "Excel导入新就业群体",
    "assessment.score_evidence": "上传人工评分佐证附件",
    "assessment.flag_evidence": "上传软弱涣散情形证据附件",
    # The time bank (issue 16).
    "timebank.order.create": "时间银行点单",
    "timebank.order.expire": "时间银行订单过期",
    "timebank.participation.correct": "更正服务时长",
    "timebank.team.create": "组建志愿服务队",
    "timebank.team.member_add": "添加志愿服务队队员",
    "timebank.talent.offer": "登记能人榜",
    "timebank.talent.update": "修改能人榜登记",
    "timebank.talent.retire": "能人下榜",
    "timebank.talent.restore": "能人恢复上榜",
    "timebank.station.create": "登记驿站",
    "timebank.rider.register": "新就业群体驿站报到",
    "timebank.rider.assistant": "设置兼职网格员",
}

# The workflows: "<prefix><move>" is the move of the flow, named by the flow itself.
FLOW_NOUNS = (
    ("orglife.session.", "组织生活"),
    ("dues.hardship_", "党费减免"),
    ("applicant.", "发展党员"),
    ("transfer.", "组织关系转接"),
    ("event.", "网格事件"),
)

OBJECTS = {
    "user": "用户",
    "users": "用户",
    "grant": "授权",
    "department": "职能部门",
    "area": "区域",
    "areas": "区域",
    "org": "党组织",
    "orgs": "党组织",
    "member": "党员",
    "members": "党员",
    "committee": "委员会",
    "cadre": "两委干部",
    "applicant": "入党申请人",
    "event": "网格事件",
    "cases": "网格事件",
    "orglife": "组织生活",
    "session": "组织生活",
    "plan": "组织生活计划",
    "dues": "党费",
    "transfer": "组织关系转接",
    "file": "文件",
    "audit": "审计日志",
    "ledger": "台账",
    "timebank": "时间银行",
    "points": "积分",
    "assessment": "考核",
    "notification": "通知",
    "todo": "待办",
}
VERBS = {
    "create": "新建",
    "update": "修改",
    "delete": "删除",
    "remove": "删除",
    "add": "添加",
    "set": "设置",
    "import": "导入",
    "export": "导出",
    "approve": "批准",
    "reject": "驳回",
    "submit": "提交",
    "cancel": "取消",
    "close": "关闭",
    "open": "开启",
    "review": "审核",
    "record": "登记",
    "confirm": "确认",
    "assign": "分派",
    "dispatch": "派遣",
    "accept": "受理",
    "return": "退回",
    "end": "结束",
    "move": "调整",
    "lock": "锁定",
    "unlock": "解锁",
    "read": "阅读",
    "send": "发送",
    "sweep": "巡查",
}


def _flow_moves() -> dict[str, dict[str, str]]:
    """The move labels of each workflow, read from the flows (imported when first needed)."""
    from dangjian.cases.flow import EVENT
    from dangjian.development.services import APPLICANT
    from dangjian.dues.services import HARDSHIP
    from dangjian.members.services.transfers import TRANSFER_FLOWS
    from dangjian.orglife.services import SESSION

    transfer: dict[str, str] = {}
    for flow in TRANSFER_FLOWS.values():
        transfer.update({a: m.label for a, m in flow.actions.items()})
    return {
        "orglife.session.": {a: m.label for a, m in SESSION.actions.items()},
        "dues.hardship_": {a: m.label for a, m in HARDSHIP.actions.items()},
        "applicant.": {a: m.label for a, m in APPLICANT.actions.items()},
        "transfer.": transfer,
        "event.": {a: m.label for a, m in EVENT.actions.items()},
    }


_MOVES: dict[str, dict[str, str]] | None = None
_ASCII = re.compile(r"[A-Za-z]")


def flow_moves() -> dict[str, dict[str, str]]:
    global _MOVES
    if _MOVES is None:
        _MOVES = _flow_moves()
    return _MOVES


def action_label(code: str) -> str:
    """The Chinese name of the audit action ``code``."""
    code = (code or "").strip()
    if not code:
        return ""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    moves = flow_moves()
    for prefix, noun in FLOW_NOUNS:
        if code.startswith(prefix):
            move = code[len(prefix) :]
            label = moves[prefix].get(move)
            if label and not _ASCII.search(label):
                return f"{noun}：{label}"
    parts = re.split(r"[._]", code)
    noun = next((OBJECTS[p] for p in parts if p in OBJECTS), "")
    verb = next((VERBS[p] for p in reversed(parts) if p in VERBS), "")
    if noun or verb:
        return f"{noun}{'：' if noun and verb else ''}{verb}" if verb else f"{noun}：其他操作"
    return "其他操作"


def action_choices() -> dict[str, str]:
    """The named actions and the workflow moves, for the filter's list."""
    out = dict(ACTION_LABELS)
    for prefix, noun in FLOW_NOUNS:
        for move, label in flow_moves()[prefix].items():
            out.setdefault(f"{prefix}{move}", f"{noun}：{label}")
    return out
