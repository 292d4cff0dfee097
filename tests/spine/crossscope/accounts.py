"""Accounts: one's own account (/me), login security, and the people pages (users, grants,
departments, registrations, invitations)."""

from __future__ import annotations

from dangjian.accounts.models import Department, Grant, User
from tests.spine.crossscope.organizations import org_probes
from tests.spine.crossscope.registry import (
    FACTORIES,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)
from tests.spine.crossscope.territory import area_probes


def me_probes(world) -> list[Probe]:
    """What /me must not mention: the first county's nodes, in either tree."""
    return [p for p in area_probes(world) + org_probes(world) if not p.ancestor]


FACTORIES["me"] = me_probes

ROUTES += [Route("api", "/api/v1/me", "me", "self", control=False)]

WATCHED_COUNTS += [Department, Grant, User]


@fingerprint
def _user_rows(out: dict) -> None:
    out["users"] = list(
        User.objects.order_by("pk").values_list("pk", "area_path", "is_active", "password")
    )


# --- login ---
# Login security (issue 14): unlocking an account, over the API and by the console button.
# The probes are accounts of the first county that t-street3 may not manage.
def login_user_probes(world) -> list[Probe]:
    return [Probe(world.users[key].pk, world.users[key].username) for key in ("community", "grid")]


FACTORIES["login_user"] = login_user_probes
ROUTES += [
    Route("api", "/api/v1/users/{id}/unlock", "login_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/lock", "login_user", "write", method="POST"),
    Route(
        "console",
        "/users/{id}/unlock/",
        "login_user",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]
# Signing out concerns one's own token and sessions only.
UNSCOPED_API_ROUTES |= {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/logout-all")}

# --- people ---
# Users, their grants, departments, invitations and registrations of the first county (issue
# 14, "People and their reach"): the outsider lists none, reads 404 on each, and can neither
# change, deactivate, reset, grant nor revoke there.
# Not "street": its user name is part of the outsider's own (t-street3).
_PEOPLE_USERS = ("community", "grid", "member", "resident")


def people_user_probes(world) -> list[Probe]:
    return [
        Probe(world.users[k].pk, world.users[k].username, markers=(f"/users/{world.users[k].pk}/",))
        for k in _PEOPLE_USERS
    ]


def people_grant_probes(world) -> list[Probe]:
    from dangjian.accounts.models import Grant

    return [
        Probe(g.pk, f"grant-{g.pk}")
        for g in Grant.objects.filter(user__in=[world.users[k] for k in _PEOPLE_USERS])
    ]


FACTORIES["people_user"] = people_user_probes
FACTORIES["people_grant"] = people_grant_probes

_PEOPLE_OK = frozenset({200})
ROUTES += [
    Route("api", "/api/v1/users/", "people_user", "list"),
    Route("api", "/api/v1/users/?page_size=200&q=t-", "people_user", "list"),
    Route("api", "/api/v1/users/?area={id}", "area", "children"),
    Route("api", "/api/v1/users/{id}", "people_user", "detail"),
    Route("api", "/api/v1/users/{id}/grants/", "people_user", "detail"),
    Route("api", "/api/v1/users/{id}/reach", "people_user", "detail"),
    Route(
        "api",
        "/api/v1/users/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"username": f"x-probe-{p.pk}", "real_name": "越界", "area_id": p.pk},
    ),
    Route(
        "api",
        "/api/v1/users/{id}",
        "people_user",
        "write",
        method="PATCH",
        data={"real_name": "越界改名"},
    ),
    Route("api", "/api/v1/users/{id}/deactivate", "people_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/reactivate", "people_user", "write", method="POST"),
    Route("api", "/api/v1/users/{id}/reset-password", "people_user", "write", method="POST"),
    Route(
        "api",
        "/api/v1/users/{id}/grants/",
        "people_user",
        "write",
        method="POST",
        data={"role": "resident"},
        control_status=frozenset({200, 422}),
    ),
    Route("api", "/api/v1/grants/{id}/revoke", "people_grant", "write", method="POST"),
]


@fingerprint
def _people_rows(out: dict) -> None:
    """Adds the accounts' own fields to the fingerprint."""
    from dangjian.accounts.models import Grant, User

    out["people:users"] = list(
        User.objects.order_by("pk").values_list("pk", "real_name", "must_change_password")
    )
    out["people:grants"] = list(Grant.objects.order_by("pk").values_list("pk", "ends_on"))


# The user import takes a file (its rows name areas by code or name, checked against the
# uploader's scope in tests/accounts/test_import.py); the template is blank.
UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/users/import/template"),
    ("POST", "/api/v1/users/import"),
}


def people_department_probes(world) -> list[Probe]:
    from dangjian.accounts.models import Department

    out = []
    for key, name in (("street", "越界探针城管中队"), ("street2", "越界探针市政所")):
        node = world.nodes[key]
        d = Department.objects.create(name=name, area=node, area_path=node.path)
        d.served_areas.set([node])
        out.append(Probe(d.pk, name))
    return out


FACTORIES["people_department"] = people_department_probes
ROUTES += [
    Route("api", "/api/v1/departments/", "people_department", "list"),
    Route("api", "/api/v1/departments/?q=越界探针", "people_department", "list"),
    Route("api", "/api/v1/departments/?area={id}", "area", "children"),
    Route("api", "/api/v1/departments/{id}", "people_department", "detail"),
    Route(
        "api",
        "/api/v1/departments/{id}",
        "people_department",
        "write",
        method="PATCH",
        data={"name": "越界改名"},
    ),
    Route(
        "api",
        "/api/v1/departments/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"name": f"越界部门{p.pk}", "area_id": p.pk},
    ),
]


@fingerprint
def _people_departments_rows(out: dict) -> None:
    """Adds the departments' names and areas to the fingerprint."""
    from dangjian.accounts.models import Department

    out["people:departments"] = list(
        Department.objects.order_by("pk").values_list("pk", "name", "active")
    )
    out["people:served"] = list(
        Department.served_areas.through.objects.order_by("pk").values_list(
            "department_id", "area_id"
        )
    )


def people_registration_probes(world) -> list[Probe]:
    from dangjian.accounts import services as accounts_services
    from dangjian.accounts.models import GridInvitation

    grid = world.nodes["grid"]
    inv = GridInvitation.objects.create(area=grid, area_path=grid.path, code="PROBE234")
    out = []
    for i, name in enumerate(("越界探针居民甲", "越界探针居民乙")):
        reg = accounts_services.registration_submit(
            code=inv.code, name=name, phone=f"1370000000{i}", password="Abcd-1234x"
        )
        out.append(Probe(reg.pk, name))
    return out


def people_invitation_probes(world) -> list[Probe]:
    from dangjian.accounts.models import GridInvitation

    grid = world.nodes["grid2"]
    inv = GridInvitation.objects.create(area=grid, area_path=grid.path, code="PROBE567")
    return [Probe(inv.pk, inv.code)]


FACTORIES["people_registration"] = people_registration_probes
FACTORIES["people_invitation"] = people_invitation_probes
ROUTES += [
    Route("api", "/api/v1/registrations/", "people_registration", "list"),
    Route("api", "/api/v1/registrations/?state=", "people_registration", "list"),
    Route(
        "api", "/api/v1/registrations/{id}/confirm", "people_registration", "write", method="POST"
    ),
    Route(
        "api",
        "/api/v1/registrations/{id}/reject",
        "people_registration",
        "write",
        method="POST",
        data={"reason": "越界退回"},
    ),
    Route("api", "/api/v1/invitations/", "people_invitation", "list"),
    Route("api", "/api/v1/invitations/{id}/qr", "people_invitation", "detail"),
    Route(
        "api",
        "/api/v1/invitations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area_id": p.pk},
        control_status=frozenset({200, 422}),
        note="only grids take a code: the insider's request on other levels is a 422",
    ),
    Route("console", "/m/registrations/", "people_registration", "list"),
    Route(
        "console",
        "/m/registrations/{id}/",
        "people_registration",
        "write",
        method="POST",
        data={"op": "confirm"},
        control_status=frozenset({302}),
    ),
]
# The sign-up page is open to everyone and shows no scoped row but the grid a valid code names.
UNSCOPED_CONSOLE_ROUTES |= {"/m/register/"}


@fingerprint
def _people_registrations_rows(out: dict) -> None:
    """Adds registrations and invitations to the fingerprint."""
    from dangjian.accounts.models import GridInvitation, Registration

    out["people:registrations"] = list(
        Registration.objects.order_by("pk").values_list("pk", "state", "user_id")
    )
    out["people:invitations"] = list(
        GridInvitation.objects.order_by("pk").values_list("pk", "code", "active")
    )


ROUTES += [
    Route("api", "/api/v1/users/{id}/member", "people_user", "detail"),
    Route(
        "api",
        "/api/v1/users/{id}/link-member",
        "people_user",
        "write",
        method="POST",
        data={"member_id": 999999},
        control_status=frozenset({404}),
        note="no such file: the insider's control reads 404 too",
    ),
    Route(
        "api",
        "/api/v1/users/{id}/unlink-member",
        "people_user",
        "write",
        method="POST",
        control_status=frozenset({422}),
    ),
]

# The console pages of users, departments, registrations and invitations.
ROUTES += [
    Route("console", "/users/", "people_user", "list"),
    Route("console", "/users/?q=t-", "people_user", "list"),
    Route("console", "/users/?area={id}", "area", "children"),
    Route("console", "/users/new/", "area", "list", control=False),
    Route(
        "console",
        "/users/new/",
        "area",
        "write",
        method="POST",
        data=lambda p: {
            "username": f"x-c-{p.pk}",
            "real_name": "越界",
            "kind": "staff",
            "area": p.pk,
        },
        control_status=frozenset({200}),
        note="the outsider's form refuses an area it does not offer (200 with the error)",
    ),
    Route("console", "/users/{id}/", "people_user", "detail"),
    Route("console", "/users/{id}/edit/", "people_user", "detail"),
    Route(
        "console",
        "/users/{id}/edit/",
        "people_user",
        "write",
        method="POST",
        data={"real_name": "越界改名", "kind": "staff"},
        control_status=frozenset({200, 302}),
    ),
    Route(
        "console",
        "/users/{id}/reset-password/",
        "people_user",
        "write",
        method="POST",
        control_status=frozenset({200}),
    ),
    Route(
        "console",
        "/users/{id}/active/",
        "people_user",
        "write",
        method="POST",
        data={"op": "deactivate"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/users/{id}/grants/",
        "people_user",
        "write",
        method="POST",
        data={"g-role": "resident"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/users/grants/{id}/revoke/",
        "people_grant",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/users/departments/", "people_department", "list"),
    Route("console", "/users/departments/{id}/", "people_department", "detail"),
    Route(
        "console",
        "/users/departments/{id}/",
        "people_department",
        "write",
        method="POST",
        data={"name": "越界改名", "active": "on"},
        control_status=frozenset({200, 302}),
    ),
    Route("console", "/users/registrations/", "people_registration", "list"),
    Route("console", "/users/registrations/?state=", "people_registration", "list"),
    Route(
        "console",
        "/users/registrations/{id}/",
        "people_registration",
        "write",
        method="POST",
        data={"op": "confirm"},
        control_status=frozenset({302}),
    ),
    Route("console", "/users/invitations/", "people_invitation", "list"),
    Route(
        "console",
        "/users/invitations/",
        "area",
        "write",
        method="POST",
        data=lambda p: {"area": p.pk},
        control_status=frozenset({302}),
    ),
]
UNSCOPED_CONSOLE_ROUTES |= {"/users/import/", "/users/import/template/"}
