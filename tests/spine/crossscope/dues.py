"""Dues (党费): profiles, payments, hardship, remittances upward and the grassroots funds."""

from __future__ import annotations

from dangjian.core import models as _core_models
from dangjian.dues import models as _dues_models
from tests.spine.crossscope.members import _WRITE_OK, _probe_member
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    UNSCOPED_API_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

# --- dues (党费) ---------------------------------------------------------------------------------
# Appended by the dues module: members of the first county with dues profiles (four months
# behind, so the arrears lists show them), a payment, a hardship request and a remittance of
# each, their API, console and mobile routes, the counts to watch (the ledger's too) and the
# dues rows in the "nothing changed" fingerprint. POST /api/v1/dues/quote reads no scoped row.

DUES_PROBE_ORGS = ("grid_branch", "unit_group", "street2_wc")


def _dues_month(offset: int = 0) -> str:
    from django.utils import timezone

    from dangjian.dues import calc

    return calc.month_text(calc.add_months(calc.month_of(timezone.localdate()), offset))


def _dues_probe_member(world, key: str, name: str, seq: int):
    from dangjian.dues import services as dues

    m = _probe_member(world, key, name, seq)
    dues.profile_set(
        actor=world.users[INSIDER],
        member=m,
        category="in_service",
        base="4000",
        effective_month=_dues_month(-4),
    )
    return m


def dues_member_probes(world) -> list[Probe]:
    return [
        Probe(m.pk, m.name)
        for m in (
            _dues_probe_member(world, key, f"越界探针党费{i}", 200 + i)
            for i, key in enumerate(DUES_PROBE_ORGS)
        )
    ]


def dues_payment_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    out = []
    for i, key in enumerate(DUES_PROBE_ORGS):
        m = _dues_probe_member(world, key, f"越界探针缴费{i}", 210 + i)
        p, _ = dues.payment_create(actor=world.users[INSIDER], member=m, months=[_dues_month()])
        out.append(Probe(p.pk, m.name, markers=(p.receipt_no,)))
    return out


def dues_hardship_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    out = []
    for i, key in enumerate(DUES_PROBE_ORGS[:2]):
        m = _dues_probe_member(world, key, f"越界探针减免{i}", 220 + i)
        h = dues.hardship_request(
            actor=world.users[INSIDER],
            member=m,
            kind="waive",
            from_month=_dues_month(1),
            to_month=_dues_month(2),
            reason="越界探针困难情况",
        )
        out.append(Probe(h.pk, m.name))
    return out


def dues_remittance_probes(world) -> list[Probe]:
    from dangjian.dues import services as dues

    m = _dues_probe_member(world, "grid_branch", "越界探针上缴", 230)
    dues.payment_create(actor=world.users[INSIDER], member=m, months=[_dues_month()])
    r, _ = dues.remittance_create(
        actor=world.users[INSIDER],
        org=world.orgs["grid_branch"],
        amount="40.00",
        period="越界探针上缴期间",
    )
    return [Probe(r.pk, "越界探针上缴期间", markers=("越界探针上缴期间",))]


FACTORIES.update(
    {
        "dues_member": dues_member_probes,
        "dues_payment": dues_payment_probes,
        "dues_hardship": dues_hardship_probes,
        "dues_remittance": dues_remittance_probes,
    }
)

_DUES_CREATED = frozenset({200, 201, 409, 422})

ROUTES += [
    Route("api", "/api/v1/dues/members/", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?page_size=200", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?arrears=3", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?q=越界", "dues_member", "list"),
    Route("api", "/api/v1/dues/members/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/members/{id}", "dues_member", "detail"),
    Route(
        "api",
        "/api/v1/dues/members/{id}",
        "dues_member",
        "write",
        method="PATCH",
        data={"base": "5000", "note": "越界修改"},
    ),
    Route("api", "/api/v1/dues/payments/", "dues_payment", "list"),
    Route("api", "/api/v1/dues/payments/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/payments/?member={id}", "dues_member", "children"),
    Route("api", "/api/v1/dues/payments/{id}", "dues_payment", "detail"),
    Route(
        "api",
        "/api/v1/dues/payments/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"member_id": p.pk, "months": [_dues_month()]},
        control_status=_DUES_CREATED,
    ),
    Route(
        "api",
        "/api/v1/dues/payments/{id}/reverse",
        "dues_payment",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({200, 409}),
        note="the remittance probe's branch may lack the balance: 409 for the insider",
    ),
    Route("api", "/api/v1/dues/arrears/", "dues_member", "list"),
    Route("api", "/api/v1/dues/arrears/?level=warning", "dues_member", "list"),
    Route("api", "/api/v1/dues/arrears/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/hardships/", "dues_hardship", "list"),
    Route("api", "/api/v1/dues/hardships/?org={id}", "org", "children"),
    Route("api", "/api/v1/dues/hardships/{id}", "dues_hardship", "detail"),
    Route(
        "api",
        "/api/v1/dues/hardships/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "kind": "waive",
            "from_month": _dues_month(1),
            "to_month": _dues_month(1),
            "reason": "越界申请",
        },
    ),
    Route(
        "api",
        "/api/v1/dues/hardships/{id}/transitions",
        "dues_hardship",
        "write",
        method="POST",
        data={"action": "agree", "note": "越界同意"},
    ),
    Route("api", "/api/v1/dues/remittances/", "dues_remittance", "list"),
    Route("api", "/api/v1/dues/remittances/?org={id}", "org", "children"),
    Route(
        "api",
        "/api/v1/dues/remittances/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org_id": p.pk, "amount": "1.00", "period": "越界上缴"},
        control_status=_DUES_CREATED,
        note="the insider's orgs hold no dues balance: 422",
    ),
    Route("api", "/api/v1/dues/totals?org={id}", "org", "detail"),
    Route("api", "/api/v1/dues/funds/?org={id}", "org", "detail"),
    Route("api", "/api/v1/dues/funds/?area={id}", "area", "detail"),
    # Console
    Route("console", "/dues/", "dues_member", "list"),
    Route("console", "/dues/?level=warning", "dues_member", "list"),
    Route("console", "/dues/?q=越界", "dues_member", "list"),
    Route("console", "/dues/?org={id}", "org", "children"),
    Route("console", "/dues/members/{id}/", "dues_member", "detail"),
    Route(
        "console",
        "/dues/members/{id}/",
        "dues_member",
        "write",
        method="POST",
        data={"form": "profile", "category": "in_service", "base": "5000"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/dues/members/{id}/?form=hardship",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {
            "form": "hardship",
            "kind": "waive",
            "from_month": _dues_month(1),
            "to_month": _dues_month(1),
            "reason": "越界申请",
        },
        control_status=_WRITE_OK,
    ),
    Route("console", "/dues/members/{id}/pay/", "dues_member", "detail"),
    Route(
        "console",
        "/dues/members/{id}/pay/",
        "dues_member",
        "write",
        method="POST",
        data=lambda p: {"months": _dues_month()},
        control_status=_WRITE_OK,
    ),
    Route("console", "/dues/payments/{id}/receipt/", "dues_payment", "detail"),
    Route(
        "console",
        "/dues/payments/{id}/reverse/",
        "dues_payment",
        "write",
        method="POST",
        data={"note": "越界冲正"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/dues/hardships/{id}/transition/",
        "dues_hardship",
        "write",
        method="POST",
        data={"action": "agree"},
        control_status=frozenset({302}),
    ),
    # Mobile
    Route("console", "/m/dues/", "dues_member", "self", control=False),
    Route("console", "/m/dues/receipts/{id}/", "dues_payment", "detail"),
]

UNSCOPED_API_ROUTES |= {("POST", "/api/v1/dues/quote")}


WATCHED_COUNTS += [
    _dues_models.DuesProfile,
    _dues_models.DuesBase,
    _dues_models.DuesPayment,
    _dues_models.DuesPaymentMonth,
    _dues_models.Hardship,
    _dues_models.HardshipStep,
    _dues_models.DuesRemittance,
    _core_models.LedgerAccount,
    _core_models.LedgerTransaction,
    _core_models.LedgerEntry,
]


@fingerprint
def _dues_rows(out: dict) -> None:
    """Adds the dues rows to the fingerprint."""
    d = _dues_models
    out["dues_profiles:rows"] = list(
        d.DuesProfile.objects.order_by("pk").values_list("pk", "category", "quarterly")
    )
    out["dues_bases:rows"] = list(
        d.DuesBase.objects.order_by("pk").values_list("pk", "base", "amount", "effective_month")
    )
    out["dues_payments:rows"] = list(
        d.DuesPayment.objects.order_by("pk").values_list("pk", "reversed_at")
    )
    out["dues_hardships:rows"] = list(d.Hardship.objects.order_by("pk").values_list("pk", "state"))
    out["ledger_accounts:rows"] = list(
        _core_models.LedgerAccount.objects.order_by("pk").values_list("pk", "balance")
    )


# --- dues remittances upward and the grassroots funds in the console ---
ROUTES += [
    Route("console", "/dues/remittances/", "dues_remittance", "list"),
    Route("console", "/dues/remittances/?org={id}", "org", "children"),
    Route("console", "/dues/remittances/new/", "org", "list"),
    Route("console", "/dues/remittances/new/?org={id}", "org", "detail"),
    Route(
        "console",
        "/dues/remittances/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk, "month": "2026-07", "amount": "1.00"},
        control_status=frozenset({302, 403, 422}),
        note="the insider's orgs hold no dues balance: 422",
    ),
    Route("console", "/dues/funds/", "org", "list"),
    Route("console", "/dues/funds/?org={id}", "org", "detail"),
]
