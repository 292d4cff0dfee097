import pytest
from django.http import Http404

from dangjian.core import pii, scope
from dangjian.core.crypto import EncryptedField


class _Meta:
    label = "members.Member"

    def __init__(self, fields):
        self._fields = fields

    def get_field(self, name):
        return self._fields[name]


WHY = {"purpose": "verify", "reason": "核对材料"}


def _field(name, *args, **kwargs):
    f = EncryptedField(*args, **kwargs)
    f.set_attributes_from_name(name)
    return f


class Member:
    _meta = _Meta(
        {
            "id_number": _field("id_number", "身份证号码", pii_kind="id_number"),
            "home_address": _field("home_address", pii_kind="address"),
        }
    )

    def __init__(self):
        self.pk = 7
        self.id_number = "350102199001011234"
        self.home_address = "福建省莆田市城厢区龙桥街道1号"


@pytest.fixture
def audited(monkeypatch):
    rows = []
    monkeypatch.setattr("dangjian.core.audit.record", lambda **kw: rows.append(kw))
    return rows


def _visible_for(monkeypatch, *actions):
    monkeypatch.setattr(scope, "is_visible", lambda obj, user, action: action in actions)


def test_reveal_returns_the_clear_value_and_audits(monkeypatch, audited):
    _visible_for(monkeypatch, "members.view", "members.reveal_pii")
    obj, actor = Member(), object()
    value = pii.reveal(actor=actor, obj=obj, field="id_number", action="members.reveal_pii", **WHY)
    assert value == "350102199001011234"
    assert audited == [
        {
            "actor": actor,
            "action": "pii.reveal",
            "obj": obj,
            "after": {"field": "id_number", "purpose": "verify", "reason": "核对材料"},
            "note": "查看完整身份证号码（用途：核实身份；理由：核对材料）",
        }
    ]


def test_reveal_labels_a_field_without_verbose_name_by_its_kind(monkeypatch, audited):
    _visible_for(monkeypatch, "members.reveal_pii")
    pii.reveal(
        actor=object(), obj=Member(), field="home_address", action="members.reveal_pii", **WHY
    )
    assert audited[0]["note"] == "查看完整地址（用途：核实身份；理由：核对材料）"


def test_visible_but_not_allowed_is_forbidden(monkeypatch, audited):
    _visible_for(monkeypatch, "members.view")
    with pytest.raises(scope.Forbidden):
        pii.reveal(
            actor=object(), obj=Member(), field="id_number", action="members.reveal_pii", **WHY
        )
    assert audited == []


def test_out_of_scope_reads_as_absent(monkeypatch, audited):
    _visible_for(monkeypatch)
    with pytest.raises(Http404):
        pii.reveal(
            actor=object(), obj=Member(), field="id_number", action="members.reveal_pii", **WHY
        )
    assert audited == []


def test_only_personal_data_fields_can_be_revealed(monkeypatch, audited):
    from django.db import models

    _visible_for(monkeypatch, "members.reveal_pii")
    obj = Member()
    plain = models.CharField(max_length=10)
    plain.set_attributes_from_name("name")
    obj._meta = _Meta({"name": plain})
    with pytest.raises(ValueError):
        pii.reveal(actor=object(), obj=obj, field="name", action="members.reveal_pii", **WHY)
