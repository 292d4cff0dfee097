"""Cadres (两委干部), reserve cadres, mentor pairs, 党员中心户 and 楼栋长, over the API and in
the console."""

from __future__ import annotations

from dangjian.cadres import models as _cadre_models
from dangjian.cadres import services as cadre_services
from dangjian.members import models as _member_models
from tests.spine.crossscope.members import _ANY, _WRITE_OK, _area_pk, _probe_member
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

# --- cadres (两委干部), reserve cadres, mentor pairs, 党员中心户 and 楼栋长 ----------------------
# Appended with the cadres: all are scoped by the village's (or unit's) area_path. Probes sit
# in 龙桥社区 and 凤山社区 of the first county.


def _probe_cadre(world, community: str, name: str, **kw):
    import datetime as dt

    values = {
        "committee": "party",
        "position": "member",
        "gender": "male",
        "birth_date": dt.date(1980, 1, 1),
        "education": "bachelor",
        "term_start": dt.date(2021, 3, 1),
    }
    values.update(kw)
    return cadre_services.cadre_create(
        actor=world.users[INSIDER], area=world.nodes[community], name=name, **values
    )


def cadre_probes(world) -> list[Probe]:
    return [
        Probe(c.pk, c.name)
        for c in (
            _probe_cadre(world, "community", "越界探针书记", position="secretary"),
            _probe_cadre(world, "community2", "越界探针委员"),
        )
    ]


def _probe_reserve(world, community: str, name: str):
    import datetime as dt

    return cadre_services.reserve_cadre_create(
        actor=world.users[INSIDER],
        area=world.nodes[community],
        name=name,
        gender="female",
        birth_date=dt.date(1996, 1, 1),
        education="bachelor",
    )


def reserve_probes(world) -> list[Probe]:
    out = []
    for i, community in enumerate(("community", "community2")):
        _probe_cadre(world, community, f"越界探针导师{i}")
        out.append(_probe_reserve(world, community, f"越界探针后备{i}"))
    return [Probe(r.pk, r.name) for r in out]


def mentorship_probes(world) -> list[Probe]:

    out = []
    for i, community in enumerate(("community", "community2")):
        mentor = _probe_cadre(world, community, f"越界探针帮带导师{i}")
        mentee = _probe_reserve(world, community, f"越界探针帮带对象{i}")
        pair = cadre_services.mentor_pair_create(
            actor=world.users[INSIDER], mentor=mentor, mentee=mentee
        )
        out.append(Probe(pair.pk, mentee.name))
    return out


def unit_role_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, role in enumerate(("center_household", "building_head")):
        m = _probe_member(world, "grid_branch", f"越界探针中心户{i}", 80 + i)
        r = services.unit_role_assign(
            actor=world.users[INSIDER], member=m, unit=world.nodes["unit"], role=role
        )
        out.append(Probe(r.pk, m.name))
    return out


def _mentor_for(reserve_pk: int) -> int:
    from dangjian.cadres.models import Cadre, ReserveCadre

    area_id = ReserveCadre.objects.get(pk=reserve_pk).area_id
    return Cadre.objects.filter(area_id=area_id).order_by("pk").values_list("pk", flat=True)[0]


FACTORIES.update(
    {
        "cadre": cadre_probes,
        "reserve": reserve_probes,
        "mentorship": mentorship_probes,
        "unit_role": unit_role_probes,
    }
)

_NEW_CADRE = {
    "committee": "party",
    "position": "member",
    "name": "越界新建干部",
    "gender": "male",
    "birth_date": "1980-01-01",
    "education": "bachelor",
    "term_start": "2021-03-01",
}

ROUTES += [
    Route("api", "/api/v1/members/cadres/", "cadre", "list"),
    Route("api", "/api/v1/members/cadres/?q=越界", "cadre", "list"),
    Route("api", "/api/v1/members/cadres/?area={id}", "area", "children"),
    Route("api", "/api/v1/members/cadres/{id}", "cadre", "detail"),
    Route(
        "api",
        "/api/v1/members/cadres/",
        "area",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {**_NEW_CADRE, "area_id": p.pk},
        note="the insider gets 422 on areas that are not villages or communities",
    ),
    Route(
        "api",
        "/api/v1/members/cadres/{id}",
        "cadre",
        "write",
        method="PATCH",
        data={"education": "primary"},
    ),
    Route("api", "/api/v1/members/cadres/reserves/", "reserve", "list"),
    Route("api", "/api/v1/members/cadres/reserves/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/cadres/reserves/",
        "area",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {
            "area_id": p.pk,
            "name": "越界后备",
            "gender": "male",
            "birth_date": "1995-01-01",
            "education": "college",
        },
    ),
    Route("api", "/api/v1/members/cadres/mentorships/", "mentorship", "list"),
    Route("api", "/api/v1/members/cadres/mentorships/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/cadres/mentorships/",
        "reserve",
        "write",
        method="POST",
        data=lambda p: {"mentor_id": _mentor_for(p.pk), "mentee_id": p.pk},
    ),
    Route("api", "/api/v1/members/unit-roles/", "unit_role", "list"),
    Route("api", "/api/v1/members/unit-roles/?area={id}", "area", "children"),
    Route(
        "api",
        "/api/v1/members/unit-roles/",
        "member",
        "write",
        method="POST",
        data=lambda p: {
            "member_id": p.pk,
            "unit_id": _area_pk("1号楼单元"),
            "role": "center_household",
        },
    ),
    Route("api", "/api/v1/members/unit-roles/{id}/end", "unit_role", "write", method="POST"),
    Route("api", "/api/v1/stats/cadres?area={id}", "area", "detail"),
]

WATCHED_COUNTS += [
    _cadre_models.Cadre,
    _cadre_models.ReserveCadre,
    _cadre_models.MentorPair,
    _member_models.UnitRole,
]


@fingerprint
def _cadres_rows(out: dict) -> None:
    """Adds the cadre rows to the fingerprint."""
    m = _member_models
    out["cadres:rows"] = list(
        _cadre_models.Cadre.objects.order_by("pk").values_list(
            "pk", "education", "ended_on", "updated_at"
        )
    )
    out["unit_roles:rows"] = list(m.UnitRole.objects.order_by("pk").values_list("pk", "ended_on"))


# --- cadres in the console ---
ROUTES += [
    # Cadres (两委), reserve cadres and mentor pairs (moved from the members' jobs block)
    Route("console", "/members/cadres/", "cadre", "list"),
    Route("console", "/members/cadres/?q=越界", "cadre", "list"),
    Route("console", "/members/cadres/{id}/edit/", "cadre", "detail"),
    Route(
        "console",
        "/members/cadres/{id}/edit/",
        "cadre",
        "write",
        method="POST",
        data={**_NEW_CADRE, "education": "primary"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/members/cadres/{id}/end/",
        "cadre",
        "write",
        method="POST",
        data={"ended_on": "2026-01-01"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/cadres/new/",
        "area",
        "write",
        method="POST",
        data=lambda p: {**_NEW_CADRE, "area": p.pk},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/cadres/reserves/", "reserve", "list"),
    Route(
        "console",
        "/members/cadres/reserves/",
        "area",
        "write",
        method="POST",
        data=lambda p: {
            "area": p.pk,
            "name": "越界后备",
            "gender": "male",
            "birth_date": "1995-01-01",
            "education": "college",
        },
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/cadres/mentorships/", "mentorship", "list"),
    Route(
        "console",
        "/members/cadres/mentorships/",
        "reserve",
        "write",
        method="POST",
        data=lambda p: {"mentor": _mentor_for(p.pk), "mentee": p.pk},
        control_status=_WRITE_OK,
    ),
]
