"""The validity rules of DOMAIN.md "Organizational life" (支部工作条例, 2018), in integers.

"More than half" is ``2 * part > whole`` and "more than 4/5" is ``5 * part > 4 * whole``: no
division, no float, so 5 of 10 is not a quorum and 6 is, 8 of 10 is not enough for an
election and 9 is.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def more_than_half(part: int, whole: int) -> bool:
    return whole > 0 and 2 * part > whole


def more_than_four_fifths(part: int, whole: int) -> bool:
    return whole > 0 and 5 * part > 4 * whole


def members_meeting_quorum(*, entitled: int, present: int) -> bool:
    """A members' meeting sits when more than half of the members with a vote are present."""
    return more_than_half(present, entitled)


def resolution_passes(*, yes: int, entitled: int) -> bool:
    """Yes votes from more than half of ALL members with a vote, not just of those present."""
    return more_than_half(yes, entitled)


def election_quorum(*, entitled: int, excused: int, present: int) -> bool:
    """An election needs more than 4/5 of the voters present; members excused with approval
    are left out of the count."""
    return more_than_four_fifths(present, entitled - excused)


def committee_quorum(*, seats: int, present: int) -> bool:
    """A committee meeting needs more than half of its members."""
    return more_than_half(present, seats)


def needed_more_than_half(whole: int) -> int:
    return whole // 2 + 1


def needed_more_than_four_fifths(whole: int) -> int:
    return (4 * whole) // 5 + 1


@dataclass
class Check:
    code: str
    label: str
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "ok": self.ok, "message": self.message}


@dataclass
class Verdict:
    valid: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def message(self) -> str:
        failed = [c.message for c in self.checks if not c.ok]
        if failed:
            return "；".join(failed)
        if self.checks:
            return "；".join(c.message for c in self.checks)
        return "本类组织生活无法定人数要求"

    def as_dict(self) -> dict:
        return {
            "valid": self.valid,
            "message": self.message,
            "checks": [c.as_dict() for c in self.checks],
        }


def quorum_check(*, entitled: int, present: int) -> Check:
    ok = members_meeting_quorum(entitled=entitled, present=present)
    need = needed_more_than_half(entitled)
    if ok:
        msg = f"应到有表决权党员{entitled}人，实到{present}人，超过半数，会议有效"
    elif entitled == 0:
        msg = "没有有表决权的党员，党员大会不能召开"
    else:
        msg = (
            f"应到有表决权党员{entitled}人，实到{present}人，未超过半数（至少需{need}人），"
            "党员大会不能召开"
        )
    return Check("quorum", "党员大会到会人数", ok, msg)


def committee_check(*, seats: int, present: int, recorded: bool = True) -> Check:
    ok = recorded and committee_quorum(seats=seats, present=present)
    need = needed_more_than_half(seats)
    if not recorded:
        msg = "本组织未登记会议当日在任的委员会（届次和委员），支委会是否达到法定人数无法判定"
    elif ok:
        msg = f"委员{seats}人，到会{present}人，超过半数，会议有效"
    elif seats == 0:
        msg = "未登记支部委员，支委会无法判定是否有效"
    else:
        msg = f"委员{seats}人，到会{present}人，未超过半数（至少需{need}人），支委会不能召开"
    return Check("committee_quorum", "支委会到会人数", ok, msg)


def election_check(*, subject: str, entitled: int, excused: int, present: int) -> Check:
    voters = entitled - excused
    ok = election_quorum(entitled=entitled, excused=excused, present=present)
    need = needed_more_than_four_fifths(voters)
    base = f"选举“{subject}”：应到选举人{voters}人（有表决权{entitled}人，经批准请假{excused}人不计入），实到{present}人"
    if ok:
        msg = base + "，超过五分之四，选举有效"
    else:
        msg = base + f"，未超过五分之四（至少需{need}人），选举无效"
    return Check("election_quorum", "选举到会人数", ok, msg)


def resolution_check(*, subject: str, yes: int, entitled: int) -> Check:
    ok = resolution_passes(yes=yes, entitled=entitled)
    need = needed_more_than_half(entitled)
    if ok:
        msg = f"决议“{subject}”：赞成{yes}票，超过应到有表决权党员{entitled}人的半数，通过"
    else:
        msg = (
            f"决议“{subject}”：赞成{yes}票，未超过应到有表决权党员{entitled}人的半数"
            f"（至少需{need}票），未通过"
        )
    return Check("resolution", "决议表决", ok, msg)
