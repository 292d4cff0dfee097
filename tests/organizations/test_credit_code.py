"""Unified social credit codes (GB 32100) where an organization records one: checked on create
and update, a wrong check character accepted only with the override and its reason."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from dangjian.core.models import AuditEntry
from dangjian.core.validators import uscc_check_char
from dangjian.organizations import services as orgs
from dangjian.organizations.models import OrgDomain, OrgKind, PartyOrg

BODY = "91350300MA2XYK12"  # 16 characters; a 17th and the check character follow


def valid_code() -> str:
    first17 = BODY + "3"
    return first17 + uscc_check_char(first17)


def wrong_check_code() -> str:
    good = valid_code()
    return good[:17] + ("0" if good[17] != "0" else "1")


def create(world, **extra):
    return orgs.org_create(
        actor=world.users["admin"],
        parent=world.orgs["community_committee"],
        area=world.nodes["grid"],
        name="信用代码测试党支部",
        kind=OrgKind.BRANCH,
        domain=OrgDomain.NON_PUBLIC,
        founding_full_members=3,
        **extra,
    )


@pytest.mark.django_db
def test_a_valid_code_is_stored_upper_case(world):
    org = create(world, credit_code=valid_code().lower())
    assert org.credit_code == valid_code()
    assert org.credit_code_override_reason == ""


@pytest.mark.django_db
def test_a_wrong_check_character_is_refused_and_nothing_written(world):
    before = PartyOrg.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        create(world, credit_code=wrong_check_code())
    assert "credit_code" in exc.value.message_dict
    assert (PartyOrg.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_the_override_needs_a_reason(world):
    with pytest.raises(ValidationError) as exc:
        create(world, credit_code=wrong_check_code(), credit_code_override=True)
    assert "credit_code_override_reason" in exc.value.message_dict


@pytest.mark.django_db
def test_the_override_with_a_reason_keeps_an_old_code(world):
    org = create(
        world,
        credit_code=wrong_check_code(),
        credit_code_override=True,
        credit_code_override_reason="旧法人代码，换证前沿用",
    )
    assert org.credit_code == wrong_check_code()
    assert org.credit_code_override_reason == "旧法人代码，换证前沿用"


@pytest.mark.django_db
def test_the_override_never_accepts_a_wrong_length(world):
    with pytest.raises(ValidationError) as exc:
        create(
            world,
            credit_code=valid_code()[:17],
            credit_code_override=True,
            credit_code_override_reason="旧代码",
        )
    assert "credit_code" in exc.value.message_dict


@pytest.mark.django_db
def test_update_checks_the_code_too(world):
    org = create(world)
    with pytest.raises(ValidationError) as exc:
        orgs.org_update(actor=world.users["admin"], org=org, credit_code=wrong_check_code())
    assert "credit_code" in exc.value.message_dict
    org.refresh_from_db()
    assert org.credit_code == ""
    org = orgs.org_update(actor=world.users["admin"], org=org, credit_code=valid_code())
    assert org.credit_code == valid_code()
