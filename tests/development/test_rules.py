"""A test per rule of member development, both sides of each boundary (the day before a
period is satisfied is refused, the day it is satisfied is accepted)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.errors import Conflict
from dangjian.core.months import add_months
from dangjian.development import registration, services, step_fields
from dangjian.development.models import Applicant, ApplicantStep
from dangjian.organizations.models import OrgDomain, OrgForm, OrgKind
from tests import world as world_mod
from tests.development import helpers as h
from tests.members.helpers import id_no

pytestmark = pytest.mark.django_db


def take(world, a, n, day, actor=None, **fields):
    with h.travel(h.NOW):
        return services.applicant_transition(
            actor=actor or world.users["community"],
            applicant=a,
            action=str(n),
            when=day,
            **(fields or h.fields_for(world, n)),
        )


def refused(exc_info, *fragments):
    text = str(exc_info.value.message if hasattr(exc_info.value, "message") else exc_info.value)
    for f in fragments:
        assert f in text, text


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def unchanged(a, step):
    a.refresh_from_db()
    assert a.step == step


# --- order and dates ---------------------------------------------------------------------------


def test_steps_strictly_in_order(world):
    a = h.applicant(world)
    with pytest.raises(Conflict) as exc:
        take(world, a, 2, dt.date(2026, 1, 5))
    refused(exc, "按步骤依次办理", "尚未办理任何步骤", "第1步")
    a = take(world, a, 1, dt.date(2026, 1, 5))
    with pytest.raises(Conflict) as exc:
        take(world, a, 1, dt.date(2026, 1, 5))
    refused(exc, "已完成第1步", "下一步为第2步")
    with pytest.raises(Conflict):
        take(world, a, 3, dt.date(2026, 1, 6))
    unchanged(a, 1)
    assert ApplicantStep.objects.filter(applicant=a).count() == 1


def test_unknown_action_is_bad_input(world):
    a = h.applicant(world)
    for action in ("0", "26", "approve", ""):
        with pytest.raises(ValidationError) as exc:
            services.applicant_transition(
                actor=world.users["community"], applicant=a, action=action
            )
        assert "action" in errors_of(exc)


def test_date_not_before_previous_step(world):
    a = h.applicant(world)
    a = take(world, a, 1, dt.date(2026, 1, 10))
    with pytest.raises(ValidationError) as exc:
        take(world, a, 2, dt.date(2026, 1, 9))
    assert "2026年1月10日" in errors_of(exc)["date"][0]
    unchanged(a, 1)
    a = take(world, a, 2, dt.date(2026, 1, 10))
    assert a.step == 2


def test_date_not_in_future(world):
    a = h.applicant(world)
    with h.travel(dt.date(2026, 3, 1)):
        with pytest.raises(ValidationError) as exc:
            services.applicant_transition(
                actor=world.users["community"],
                applicant=a,
                action="1",
                when=dt.date(2026, 3, 2),
            )
        assert "不能晚于今天" in errors_of(exc)["date"][0]
        a = services.applicant_transition(
            actor=world.users["community"], applicant=a, action="1", when=dt.date(2026, 3, 1)
        )
    assert a.applied_on == dt.date(2026, 3, 1)


def test_date_defaults_to_today(world):
    a = h.applicant(world)
    with h.travel(dt.date(2026, 4, 8)):
        a = services.applicant_transition(actor=world.users["community"], applicant=a, action="1")
    assert a.applied_on == dt.date(2026, 4, 8)


# --- age 18 ------------------------------------------------------------------------------------


def test_age_18_on_application_date(world):
    a = h.applicant(world, id_number=id_no("20000315", 11))
    with pytest.raises(Conflict) as exc:
        take(world, a, 1, dt.date(2018, 3, 14))
    refused(exc, "年满18周岁", "2018年3月15日")
    unchanged(a, 0)
    a = take(world, a, 1, dt.date(2018, 3, 15))
    assert a.step == 1


def test_age_18_leap_day_birthday(world):
    """Born on 29 February: 18 on 28 February of a common year (documented convention)."""
    a = h.applicant(world, id_number=id_no("20040229", 12))
    with pytest.raises(Conflict):
        take(world, a, 1, dt.date(2022, 2, 27))
    a = take(world, a, 1, dt.date(2022, 2, 28))
    assert a.step == 1


# --- talk within a month (warning) -----------------------------------------------------------


def test_talk_within_one_month_warns_after(world):
    a = h.applicant(world)
    a = take(world, a, 1, dt.date(2026, 1, 31))
    a = take(world, a, 2, dt.date(2026, 2, 28))  # 31 Jan + 1 month = 28 Feb: in time
    assert a.last_warnings == []
    b = h.applicant(world, name="王申请")
    b = take(world, b, 1, dt.date(2026, 1, 31))
    b = take(world, b, 2, dt.date(2026, 3, 1))
    assert len(b.last_warnings) == 1 and "一个月内派人谈话" in b.last_warnings[0]
    assert ApplicantStep.objects.get(applicant=b, number=2).warnings == b.last_warnings


def test_talk_requires_talker(world):
    a = h.applicant(world)
    a = take(world, a, 1, dt.date(2026, 1, 5))
    with pytest.raises(ValidationError) as exc:
        take(world, a, 2, dt.date(2026, 1, 6), talker="")
    assert "talker" in errors_of(exc)


# --- application to activist: 6 months (local, a warning) --------------------------------------


def test_activist_six_months_after_application_warns_before(world):
    a = h.walk(world, h.applicant(world), 2, dt.date(2026, 1, 10))
    a = take(world, a, 3, dt.date(2026, 7, 9))
    assert any("满一定期限" in w for w in a.last_warnings)
    b = h.walk(world, h.applicant(world, name="王申请"), 2, dt.date(2026, 1, 10))
    b = take(world, b, 3, dt.date(2026, 7, 10))
    assert b.last_warnings == []


def test_activist_months_is_a_setting(world, settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "DEVELOPMENT_ACTIVIST_MONTHS": 3}
    a = h.walk(world, h.applicant(world), 2, dt.date(2026, 1, 10))
    a = take(world, a, 3, dt.date(2026, 4, 10))
    assert a.last_warnings == []


# --- one year as activist before candidate -----------------------------------------------------


def test_one_year_as_activist_before_candidate(world):
    a = h.walk(world, h.applicant(world), 2, dt.date(2025, 1, 2))
    a = take(world, a, 3, dt.date(2025, 3, 1))
    a = h.walk(world, a, 6, dt.date(2025, 3, 1))
    with pytest.raises(Conflict) as exc:
        take(world, a, 7, dt.date(2026, 2, 28))
    refused(exc, "一年以上培养教育", "2025年3月1日", "最早可于2026年3月1日")
    unchanged(a, 6)
    a.refresh_from_db()
    assert a.next_earliest == dt.date(2026, 3, 1)
    a = take(world, a, 7, dt.date(2026, 3, 1))
    assert a.candidate_on == dt.date(2026, 3, 1) and a.stage == 3


# --- contacts --------------------------------------------------------------------------------


def test_one_or_two_contacts(world):
    members = h.full_members(world, 3)
    a = h.walk(world, h.applicant(world), 4, dt.date(2026, 1, 5), people={})
    for bad in ([], members):
        with pytest.raises(ValidationError) as exc:
            take(world, a, 5, dt.date(2026, 1, 6), contacts=[m.pk for m in bad])
        assert "contacts" in errors_of(exc)
    unchanged(a, 4)
    a = take(world, a, 5, dt.date(2026, 1, 6), contacts=[m.pk for m in members[:2]])
    assert sorted(p.name for p in a.people.all()) == sorted(m.name for m in members[:2])
    b = h.walk(world, h.applicant(world, name="王申请"), 4, dt.date(2026, 1, 5), people={})
    b = take(world, b, 5, dt.date(2026, 1, 6), contacts=[members[2].pk])
    assert b.people.count() == 1


def test_contact_must_be_a_full_member(world):
    probationary = h.full_members(world, 1, status="probationary", prefix="预备党员")[0]
    a = h.walk(world, h.applicant(world), 4, dt.date(2026, 1, 5), people={})
    with pytest.raises(ValidationError) as exc:
        take(world, a, 5, dt.date(2026, 1, 6), contacts=[probationary.pk])
    assert "须为正式党员" in errors_of(exc)["contacts"][0]


# --- sponsors --------------------------------------------------------------------------------


def _at_step_8(world):
    contacts = h.full_members(world, 1)
    a = h.walk(
        world,
        h.applicant(world),
        8,
        dt.date(2025, 1, 5),
        people={"contacts": contacts, "sponsors": []},
    )
    return a


def test_exactly_two_full_member_sponsors(world):
    sponsors = h.full_members(world, 3, prefix="介绍人")
    a = _at_step_8(world)
    for bad in (sponsors[:1], sponsors):
        with pytest.raises(ValidationError) as exc:
            take(world, a, 9, dt.date(2026, 1, 6), sponsors=[m.pk for m in bad])
        assert "2名正式党员" in errors_of(exc)["sponsors"][0]
    unchanged(a, 8)
    a = take(world, a, 9, dt.date(2026, 1, 6), sponsors=[m.pk for m in sponsors[:2]])
    assert a.step == 9 and a.people.filter(role="sponsor").count() == 2


def test_sponsor_suspended_or_probationary_refused(world):
    """停止党籍 (lost contact) is a status, not 留党察看: refused as not a full member."""
    good = h.full_members(world, 1, prefix="介绍人")[0]
    suspended = h.full_members(world, 1, status="suspended", prefix="停止党籍")[0]
    probationary = h.full_members(world, 1, status="probationary", prefix="预备")[0]
    a = _at_step_8(world)
    with pytest.raises(ValidationError) as exc:
        take(world, a, 9, dt.date(2026, 1, 6), sponsors=[good.pk, suspended.pk])
    assert errors_of(exc)["sponsors"] == [f"{suspended.name}为停止党籍，入党介绍人须为正式党员"]
    with pytest.raises(ValidationError) as exc:
        take(world, a, 9, dt.date(2026, 1, 6), sponsors=[good.pk, probationary.pk])
    assert "须为正式党员" in errors_of(exc)["sponsors"][0]
    unchanged(a, 8)


def test_sponsor_out_of_the_actors_scope_is_not_found(world):
    other = h.full_members(world, 1, org=world.orgs["street2_wc"], prefix="外街道")[0]
    good = h.full_members(world, 1, prefix="介绍人")[0]
    a = _at_step_8(world)
    with pytest.raises(ValidationError) as exc:
        take(world, a, 9, dt.date(2026, 1, 6), sponsors=[good.pk, other.pk])
    assert "未找到党员" in errors_of(exc)["sponsors"][0]


# --- political review ------------------------------------------------------------------------


def test_political_review_conclusion_present_and_passed(world):
    a = h.walk(world, h.applicant(world), 9, dt.date(2025, 1, 5))
    partial = {k: v for k, v in h.REVIEW.items() if k != "relations"}
    base = {"review_passed": True, "review_conclusion": "合格"}
    with pytest.raises(ValidationError) as exc:
        take(world, a, 10, dt.date(2026, 1, 6), review_items=partial, **base)
    assert "直系亲属" in errors_of(exc)["review_items"][0]
    with pytest.raises(ValidationError) as exc:
        take(world, a, 10, dt.date(2026, 1, 6), review_items=h.REVIEW, review_passed=True)
    assert "结论性材料" in errors_of(exc)["review_conclusion"][0]
    with pytest.raises(ValidationError) as exc:
        take(
            world,
            a,
            10,
            dt.date(2026, 1, 6),
            review_items=h.REVIEW,
            review_passed=False,
            review_conclusion="不合格",
        )
    assert "不能发展" in errors_of(exc)["review_passed"][0]
    unchanged(a, 9)
    a = take(world, a, 10, dt.date(2026, 1, 6), review_items=h.REVIEW, **base)
    assert a.step == 10


# --- training --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"training_days": "2.5", "training_hours": 23}, False),
        ({"training_days": 3}, True),
        ({"training_hours": 23}, False),
        ({"training_hours": 24}, True),
        ({"training_days": 2, "training_hours": 24}, True),
        ({}, False),
    ],
)
def test_training_three_days_or_24_hours(world, fields, ok):
    a = h.walk(world, h.applicant(world), 10, dt.date(2025, 1, 5))
    if ok:
        a = take(world, a, 11, dt.date(2026, 1, 6), **fields, certificate_number="PX-1")
        assert a.step == 11
    else:
        with pytest.raises(ValidationError) as exc:
            take(world, a, 11, dt.date(2026, 1, 6), **(fields or {"certificate_number": "PX"}))
        assert "training_days" in errors_of(exc)
        unchanged(a, 10)


# --- public notice before the branch meeting -------------------------------------------------


def _at_step_14_notice_monday(world):
    a = h.walk(world, h.applicant(world), 11, dt.date(2024, 1, 2))
    a = take(world, a, 12, dt.date(2025, 3, 3))  # a Monday: the notice runs 3–7 March
    a = take(world, a, 13, dt.date(2025, 3, 3))
    return take(world, a, 14, dt.date(2025, 3, 4))


def test_public_notice_five_working_days(world):
    a = _at_step_14_notice_monday(world)
    assert a.notice_start == dt.date(2025, 3, 3)
    with pytest.raises(Conflict) as exc:
        take(world, a, 15, dt.date(2025, 3, 7))
    refused(exc, "公示", "2025年3月3日", "最早可于2025年3月8日")
    unchanged(a, 14)
    a = take(world, a, 15, dt.date(2025, 3, 8))
    assert a.admitted_on == dt.date(2025, 3, 8)


def test_public_notice_length_is_a_setting(world, settings):
    settings.DANGJIAN = {**settings.DANGJIAN, "DEVELOPMENT_NOTICE_WORKDAYS": 7}
    a = _at_step_14_notice_monday(world)
    with pytest.raises(Conflict):  # 7 working days: 3–7 and 10–11 March
        take(world, a, 15, dt.date(2025, 3, 11))
    a = take(world, a, 15, dt.date(2025, 3, 12))
    assert a.step == 15


def test_notice_start_not_before_the_committee_review(world):
    a = h.walk(world, h.applicant(world), 11, dt.date(2024, 1, 2))
    with pytest.raises(ValidationError) as exc:
        take(world, a, 12, dt.date(2025, 3, 3), notice_start=dt.date(2025, 3, 2))
    assert "notice_start" in errors_of(exc)


# --- the branch meeting's vote ---------------------------------------------------------------


VOTE = {"entitled": 5, "present": 5, "yes": 5, "no": 0, "abstain": 0}


@pytest.mark.parametrize(
    ("vote", "field"),
    [
        ({**VOTE, "present": 2, "yes": 2}, "present"),  # quorum: more than half of 5 is 3
        ({**VOTE, "present": 3, "yes": 2, "no": 1}, "yes"),  # 2 yes of 5 entitled: fails
        ({**VOTE, "present": 6}, "present"),  # more present than entitled
        ({**VOTE, "present": 4, "yes": 3, "no": 1, "abstain": 1}, "yes"),  # 5 votes, 4 present
        ({**VOTE, "entitled": 0, "present": 0, "yes": 0}, "entitled"),
        ({**VOTE, "entitled": 4, "present": 2, "yes": 2}, "present"),  # half of 4 is not more
        ({**VOTE, "entitled": 4, "present": 4, "yes": 2, "no": 2}, "yes"),
    ],
)
def test_branch_meeting_vote_refused(world, vote, field):
    a = h.walk(world, h.applicant(world), 14, dt.date(2025, 1, 6))
    with pytest.raises(ValidationError) as exc:
        take(world, a, 15, h.earliest_for(a), **vote)
    assert field in errors_of(exc), errors_of(exc)
    unchanged(a, 14)


@pytest.mark.parametrize(
    "vote",
    [
        {**VOTE, "present": 3, "yes": 3},  # the smallest quorum and majority of 5
        {**VOTE, "entitled": 4, "present": 3, "yes": 3},  # of 4: 3 and 3
        {**VOTE, "present": 4, "yes": 3, "no": 0, "abstain": 0},  # not everyone votes
    ],
)
def test_branch_meeting_vote_passes(world, vote):
    a = h.walk(world, h.applicant(world), 14, dt.date(2025, 1, 6))
    a = take(world, a, 15, h.earliest_for(a), **vote)
    assert a.step == 15
    assert ApplicantStep.objects.get(applicant=a, number=15).data["yes"] == vote["yes"]


def test_vote_against_the_registry_warns(world):
    a = h.walk(world, h.applicant(world), 14, dt.date(2025, 1, 6))
    registry = step_fields.registry_full_members(a.org_path)
    a = take(world, a, 15, h.earliest_for(a), **{**VOTE, "entitled": registry})
    assert a.last_warnings == []
    b = h.walk(world, h.applicant(world, name="王申请"), 14, dt.date(2025, 1, 6))
    b = take(world, b, 15, h.earliest_for(b), **{**VOTE, "entitled": registry + 1, "present": registry + 1, "yes": registry + 1})  # fmt: skip
    assert any("党员名册" in w for w in b.last_warnings)


# --- who approves ----------------------------------------------------------------------------


def _chain(world):
    """county committee > temporary committee > general branch > branch;
    county committee > village committee > branch."""
    county = world.orgs["county_committee"]
    temp = world_mod.org(
        county, "项目临时党委", OrgKind.COMMITTEE, world.county, OrgDomain.AGENCY,
        form=OrgForm.TEMPORARY,
    )  # fmt: skip
    general = world_mod.org(
        temp, "项目党总支", OrgKind.GENERAL_BRANCH, world.county, OrgDomain.AGENCY
    )
    branch = world_mod.org(
        general, "项目第一党支部", OrgKind.BRANCH, world.county, OrgDomain.AGENCY
    )
    village = world.orgs["village_committee"]
    vbranch = world.orgs["village_branch"]
    return temp, general, branch, village, vbranch


def test_approval_only_by_a_committee_with_the_right(world):
    temp, general, branch, _village, _vbranch = _chain(world)
    actor = world.users["county"]
    h.full_members(world, 5, org=branch)
    a = h.applicant(world, actor=actor, org=branch)
    members = list(a.org.members.all())
    a = h.walk(world, a, 16, dt.date(2025, 1, 6), actor=actor,
               people={"contacts": members[:1], "sponsors": members[1:3]})  # fmt: skip
    day = a.last_step_on
    for org, words in (
        (temp, "临时党组织"),
        (general, "党总支"),
        (world.orgs["county2_committee"], "上级党委"),
    ):
        with pytest.raises(ValidationError) as exc:
            take(world, a, 17, day, actor=actor, approving_org_id=org.pk)
        assert words in errors_of(exc)["approving_org_id"][0]
    unchanged(a, 16)
    assert [o.pk for o in services.approvers_for(a)] == [world.orgs["county_committee"].pk,
                                                        world.orgs["city_committee"].pk]  # fmt: skip
    a = take(world, a, 17, day, actor=actor, approving_org_id=world.orgs["county_committee"].pk)
    assert a.step == 17 and a.member_id


def test_village_or_community_committee_may_not_approve(world):
    _temp, _general, _branch, village, vbranch = _chain(world)
    actor = world.users["county"]
    h.full_members(world, 5, org=vbranch)
    a = h.applicant(world, actor=actor, org=vbranch)
    members = list(a.org.members.all())
    a = h.walk(world, a, 16, dt.date(2025, 1, 6), actor=actor,
               people={"contacts": members[:1], "sponsors": members[1:3]})  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        take(world, a, 17, a.last_step_on, actor=actor, approving_org_id=village.pk)
    assert "村(社区)党委" in errors_of(exc)["approving_org_id"][0]
    b = h.walk(world, h.applicant(world, name="王申请"), 16, dt.date(2025, 1, 6))
    for org, words in (
        (world.orgs["community_committee"], "村(社区)党委"),
        (world.orgs["street_wc"], "未经县级党委授权"),
    ):
        with pytest.raises(ValidationError) as exc:
            take(world, b, 17, b.last_step_on, approving_org_id=org.pk)
        assert words in errors_of(exc)["approving_org_id"][0]


# --- approval within 3 months (warning), at most 6 (refused) ---------------------------------


def _voted(world, name="李申请"):
    a = h.walk(world, h.applicant(world, name=name), 14, dt.date(2024, 1, 2))
    return take(world, a, 15, dt.date(2025, 3, 31))


def test_approval_three_months_warning(world):
    a = _voted(world)
    a = take(world, a, 16, dt.date(2025, 6, 30))
    a = take(world, a, 17, dt.date(2025, 6, 30))  # 31 Mar + 3 months = 30 Jun
    assert not any("三个月内审批" in w for w in a.last_warnings)
    b = _voted(world, "王申请")
    b = take(world, b, 16, dt.date(2025, 7, 1))
    b = take(world, b, 17, dt.date(2025, 7, 1))
    assert any("三个月内审批" in w for w in b.last_warnings)


def test_approval_six_months_at_most(world):
    a = _voted(world)
    a = take(world, a, 16, dt.date(2025, 10, 1))
    with pytest.raises(Conflict) as exc:
        take(world, a, 17, dt.date(2025, 10, 1))
    refused(exc, "不超过六个月", "最迟应于2025年9月30日")
    unchanged(a, 16)
    b = _voted(world, "王申请")
    b = take(world, b, 16, dt.date(2025, 9, 30))
    b = take(world, b, 17, dt.date(2025, 9, 30))
    assert b.step == 17


def test_overdue_approval_shows_on_the_record(world):
    a = _voted(world)
    assert a.next_due == dt.date(2025, 6, 30)
    assert "三个月内审批" in a.next_due_rule


# --- probation: one year from the vote -------------------------------------------------------


def test_probation_one_year_from_the_vote(world):
    a = h.walk(world, h.applicant(world), 22, dt.date(2025, 1, 6))
    vote = a.admitted_on
    assert a.probation_start == vote
    assert a.probation_end == add_months(vote, 12)
    with pytest.raises(Conflict) as exc:
        take(world, a, 23, a.probation_end - dt.timedelta(days=1))
    refused(exc, "预备期满", f"最早可于{services._fmt(a.probation_end)}")
    unchanged(a, 22)
    a = take(world, a, 23, a.probation_end)
    assert a.confirmation_vote_on == a.probation_end


def test_confirmation_within_three_months_after_probation_warns(world):
    a = h.walk(world, h.applicant(world), 22, dt.date(2025, 1, 6))
    end = a.probation_end
    late = add_months(end, 3) + dt.timedelta(days=1)
    a = take(world, a, 23, late)
    a = take(world, a, 24, late)
    assert any("预备期满后三个月内" in w for w in a.last_warnings)
    b = h.walk(world, h.applicant(world, name="王申请"), 22, dt.date(2025, 1, 6))
    in_time = add_months(b.probation_end, 3)
    b = take(world, b, 23, in_time)
    b = take(world, b, 24, in_time)
    assert b.last_warnings == []


# --- the applicant's record ------------------------------------------------------------------


def test_applicant_fields_validated(world):
    with pytest.raises(ValidationError) as exc:
        registration.applicant_create(
            actor=world.users["community"],
            org=world.orgs["grid_branch"],
            name="",
            id_number="350302199001011234",
            phone="123",
            ethnicity="",
        )
    errors = errors_of(exc)
    assert {"name", "id_number", "phone", "ethnicity"} <= set(errors)
    assert Applicant.objects.count() == 0


def test_group_may_not_handle_development(world):
    with pytest.raises(ValidationError) as exc:
        h.applicant(world, org=world.orgs["unit_group"])
    assert "党小组" in errors_of(exc)["org"][0]


def test_duplicate_id_number_refused(world):
    a = h.applicant(world)
    with pytest.raises(ValidationError) as exc:
        h.applicant(world, id_number=a.id_number, name="重复")
    assert "正在培养考察" in errors_of(exc)["id_number"][0]
    m = h.full_members(world, 1)[0]
    with pytest.raises(ValidationError) as exc:
        h.applicant(world, id_number=m.id_number, name="已是党员")
    assert "党员名册" in errors_of(exc)["id_number"][0]


def test_id_number_encrypted_with_blind_index(world):
    from django.db import connection

    a = h.applicant(world)
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM development_applicant WHERE id = %s", [a.pk])
        raw_id, raw_phone = cur.fetchone()
    assert a.id_number not in raw_id and "13900139000" not in raw_phone
    assert a.id_number_index and a.birth_date == dt.date(1995, 3, 15) and a.gender == "male"
