"""Whole paths: application to confirmation and archive, an extended probation, a
cancellation (before and after the approval), and what each does to the member registry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.errors import Conflict
from dangjian.core.models import AuditEntry
from dangjian.core.months import add_months
from dangjian.development import services
from dangjian.development.models import ApplicantStatus, ApplicantStep
from dangjian.members.models import Member
from tests.development import helpers as h

pytestmark = pytest.mark.django_db


def act(world, a, action, day, **fields):
    with h.travel(h.NOW):
        return services.applicant_transition(
            actor=world.users["community"], applicant=a, action=action, when=day, **fields
        )


def test_whole_path_from_application_to_archive(world):
    a = h.applicant(world)
    assert a.step == 0 and a.stage == 1 and a.next_step == 1
    a = h.walk(world, a, 16, dt.date(2025, 1, 6))
    assert a.member_id is None
    # 17: approval → a probationary member, joined on the day of the vote
    a = act(world, a, "17", a.last_step_on, **h.fields_for(world, 17))
    member = Member.objects.get(pk=a.member_id)
    assert member.status == "probationary"
    assert member.joined_on == a.admitted_on
    assert member.confirmed_on is None
    assert member.org_id == a.org_id and member.name == a.name
    assert member.id_number == a.id_number
    a = h.walk(world, a, 23, a.last_step_on)
    assert a.stage == 5 and a.status == ApplicantStatus.ACTIVE
    # 24: confirmation → a full member dated the day the probation ended
    a = act(world, a, "24", a.last_step_on, **h.fields_for(world, 24))
    member.refresh_from_db()
    assert a.status == ApplicantStatus.CONFIRMED
    assert member.status == "full"
    assert member.confirmed_on == a.probation_end == add_months(a.admitted_on, 12)
    assert member.joined_on == a.admitted_on
    assert member.party_age(a.probation_end) == 0
    assert member.party_age(add_months(a.probation_end, 12)) == 1
    # 25: archive
    a = act(world, a, "25", a.last_step_on)
    assert a.status == ApplicantStatus.ARCHIVED and a.next_step is None
    assert ApplicantStep.objects.filter(applicant=a, action="step").count() == 25
    assert list(
        ApplicantStep.objects.filter(applicant=a).order_by("id").values_list("number", flat=True)
    ) == list(range(1, 26))
    actions = set(AuditEntry.objects.filter(object_id=str(a.pk)).values_list("action", flat=True))
    assert {"applicant.create", "applicant.step"} <= actions
    assert AuditEntry.objects.filter(action="member.create", object_id=str(member.pk)).exists()
    with pytest.raises(Conflict):
        act(world, a, "cancel", a.last_step_on, note="已归档")


def test_extension_path(world):
    a = h.walk(world, h.applicant(world), 18, dt.date(2025, 1, 6))
    end = a.probation_end
    for months in (5, 13):
        with pytest.raises(Exception) as exc:
            act(world, a, "extend", a.last_step_on, months=months)
        assert "6至12个月" in str(exc.value)
    a = act(world, a, "extend", a.last_step_on, months=6, note="支部大会决定延长预备期")
    assert a.extension_months == 6
    assert a.probation_end == add_months(end, 6)
    row = ApplicantStep.objects.get(applicant=a, action="extend")
    assert row.data["probation_end_before"] == end.isoformat()
    with pytest.raises(Conflict) as exc:
        act(world, a, "extend", a.last_step_on, months=12)
    assert "只能延长一次" in exc.value.message
    a = h.walk(world, a, 22, a.last_step_on)
    # the old end no longer satisfies the rule; the new one does
    with pytest.raises(Conflict):
        act(world, a, "23", end, **h.fields_for(world, 23))
    a = act(world, a, "23", a.probation_end, **h.fields_for(world, 23))
    a = act(world, a, "24", a.last_step_on, **h.fields_for(world, 24))
    assert Member.objects.get(pk=a.member_id).confirmed_on == add_months(end, 6)


def test_extension_twelve_months_accepted(world):
    a = h.walk(world, h.applicant(world), 17, dt.date(2025, 1, 6))
    end = a.probation_end
    a = act(world, a, "extend", a.last_step_on, months=12)
    assert a.probation_end == add_months(end, 12)


def test_extension_only_for_probationary_members(world):
    a = h.walk(world, h.applicant(world), 16, dt.date(2025, 1, 6))
    with pytest.raises(Conflict) as exc:
        act(world, a, "extend", a.last_step_on, months=6)
    assert "预备党员" in exc.value.message
    b = h.walk(world, h.applicant(world, name="王申请"), 23, dt.date(2025, 1, 6))
    with pytest.raises(Conflict):
        act(world, b, "extend", b.last_step_on, months=6)


def test_cancellation_before_admission(world):
    a = h.walk(world, h.applicant(world), 4, dt.date(2025, 1, 6), people={})
    with pytest.raises(Exception) as exc:
        act(world, a, "cancel", a.last_step_on)
    assert "原因" in str(exc.value)
    a = act(world, a, "cancel", a.last_step_on, note="本人撤回申请")
    assert a.status == ApplicantStatus.CANCELLED and a.ended_on == a.last_step_on
    assert a.member_id is None and a.next_step is None
    with pytest.raises(Conflict):
        act(world, a, "5", a.last_step_on, contacts=[])
    with pytest.raises(Conflict):
        act(world, a, "cancel", a.last_step_on, note="再次")


def test_cancelled_probation_is_recorded_and_ends_the_record(world):
    a = h.walk(world, h.applicant(world), 20, dt.date(2025, 1, 6))
    member = Member.objects.get(pk=a.member_id)
    assert member.status == "probationary"
    a = act(world, a, "cancel", a.last_step_on, note="预备期内表现不合格，取消预备党员资格")
    member.refresh_from_db()
    assert a.status == ApplicantStatus.CANCELLED
    assert member.status == "removed"
    row = ApplicantStep.objects.get(applicant=a, action="cancel")
    assert row.data == {"cancelled_probation": True}
    assert AuditEntry.objects.filter(action="member.update", object_id=str(member.pk)).exists()


def test_refusal_writes_nothing(world):
    a = h.walk(world, h.applicant(world), 16, dt.date(2025, 1, 6))
    steps, members, audits = (
        ApplicantStep.objects.count(),
        Member.objects.count(),
        AuditEntry.objects.count(),
    )
    with pytest.raises(ValidationError):
        act(world, a, "17", a.last_step_on, approving_org_id=world.orgs["street_wc"].pk)
    assert (ApplicantStep.objects.count(), Member.objects.count(), AuditEntry.objects.count()) == (
        steps,
        members,
        audits,
    )


def test_applicant_already_filed_as_member_blocks_the_approval(world):
    """If someone files the person in the registry meanwhile, step 17 is refused (422) and
    nothing changes."""
    a = h.walk(world, h.applicant(world), 16, dt.date(2025, 1, 6))
    from tests.members.helpers import member as make_member

    with h.travel(h.NOW):
        make_member(
            world.users["admin"],
            world.orgs["grid_branch"],
            id_number=a.id_number,
            joined_on=dt.date(2020, 7, 1),
            confirmed_on=dt.date(2021, 7, 1),
        )
    with pytest.raises(Exception) as exc:
        act(world, a, "17", a.last_step_on, **h.fields_for(world, 17))
    assert "无法在党员名册中登记为预备党员" in str(exc.value)
    a.refresh_from_db()
    assert a.step == 16 and a.member_id is None


def test_member_view_only_user_cannot_take_steps(world):
    from dangjian.core.scope import Forbidden

    a = h.applicant(world)
    member_user = world.users["member"]
    from django.http import Http404

    with pytest.raises((Http404, Forbidden)):
        services.applicant_transition(actor=member_user, applicant=a, action="1")
    a.user = world.users["resident"]
    a.save()
    with pytest.raises(Forbidden):
        services.applicant_transition(actor=world.users["resident"], applicant=a, action="1")
