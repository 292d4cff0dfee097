"""The member registry: member files, transfers, check-ins, mobile registrations, their
console pages, background jobs and photos, and disciplinary sanctions."""

from __future__ import annotations

from dangjian.members import models as _member_models
from dangjian.organizations.models import PartyOrg
from dangjian.territory.models import Area
from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    ROUTES,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Probe,
    Route,
    fingerprint,
)

# --- members (the member registry) -------------------------------------------------------------
# Appended by the member registry: factories for member files, transfers, check-ins and mobile
# registrations of the first county, their routes, the counts to watch, and the member rows in
# the "nothing changed" fingerprint. POST /api/v1/members/import names no probe in its path or
# JSON body (it takes a file); tests/members/test_excel.py checks that an outsider's file
# naming the first county's organizations writes nothing.

MEMBER_PROBE_ORGS = (
    "grid_branch",
    "unit_group",
    "community_committee",
    "street_wc",
    "street2_wc",
    "county_committee",
)


def _org_pk(name: str) -> int:
    return PartyOrg.objects.get(name=name).pk


def _area_pk(name: str) -> int:
    return Area.objects.get(name=name).pk


def _probe_member(world, key: str, name: str, seq: int):
    from tests.members.helpers import member

    return member(
        world.users[INSIDER],
        world.orgs[key],
        name=name,
        id_number=_probe_id(seq),
        categories=["in_service"],
        unit=world.nodes["unit"],
        phone="13800138000",
    )


def _probe_id(seq: int) -> str:
    from tests.members.helpers import id_no

    return id_no("19800101", 500 + seq)


def member_probes(world) -> list[Probe]:
    return [
        Probe(m.pk, m.name)
        for m in (
            _probe_member(world, key, f"越界探针党员{i}", i)
            for i, key in enumerate(MEMBER_PROBE_ORGS)
        )
    ]


def transfer_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, key in enumerate(("grid_branch", "street2_wc", "community_committee")):
        m = _probe_member(world, key, f"越界探针转接{i}", 20 + i)
        to_org = world.orgs["street_wc"] if key != "street_wc" else world.orgs["street2_wc"]
        t = services.transfer_request(actor=world.users[INSIDER], member=m, to_org=to_org)
        out.append(Probe(t.pk, m.name))
    return out


def checkin_probes(world) -> list[Probe]:
    from dangjian.members import services

    out = []
    for i, (key, community) in enumerate(
        (("grid_branch", "community"), ("county_committee", "community2"))
    ):
        m = _probe_member(world, key, f"越界探针报到{i}", 40 + i)
        c = services.member_checkin(
            actor=world.users[INSIDER], member=m, community=world.nodes[community]
        )
        out.append(Probe(c.pk, m.name))
    return out


def mobile_probes(world) -> list[Probe]:
    import datetime as dt

    from django.utils import timezone

    from dangjian.members import services

    out = []
    long_ago = timezone.localdate() - dt.timedelta(days=800)
    for i, key in enumerate(("grid_branch", "street2_wc")):
        m = _probe_member(world, key, f"越界探针流动{i}", 60 + i)
        r = services.member_register_mobile(
            actor=world.users[INSIDER],
            member=m,
            destination="广东省深圳市",
            left_on=long_ago,
            last_contact_on=long_ago,
            fixed_place=True,
            host_org=world.orgs["street_wc"],
        )
        out.append(Probe(r.pk, m.name))
    return out


FACTORIES.update(
    {
        "member": member_probes,
        "transfer": transfer_probes,
        "checkin": checkin_probes,
        "mobile": mobile_probes,
    }
)

_NEW_MEMBER = {
    "name": "越界新建",
    "gender": "male",
    "birth_date": "1980-01-01",
    "ethnicity": "01",
    "status": "full",
    "joined_on": "2005-07-01",
    "confirmed_on": "2006-07-01",
}
_ANY = frozenset({200, 422})


ROUTES += [
    # The registry
    Route("api", "/api/v1/members/", "member", "list"),
    Route("api", "/api/v1/members/?page_size=200", "member", "list"),
    Route("api", "/api/v1/members/?q=越界", "member", "list"),
    Route("api", "/api/v1/members/?category=in_service", "member", "list"),
    Route(
        "api",
        "/api/v1/members/?q=" + _probe_id(0),
        "member",
        "list",
        control=False,
        note="ID number search",
    ),
    Route("api", "/api/v1/members/?org={id}", "org", "children", note="members of an org subtree"),
    Route(
        "api",
        "/api/v1/members/?area={id}",
        "area",
        "children",
        note="members living in an area subtree",
    ),
    Route("api", "/api/v1/members/{id}", "member", "detail"),
    Route(
        "api",
        "/api/v1/members/{id}/reveal",
        "member",
        "write",
        method="POST",
        data={"field": "id_number", "purpose": "verify", "reason": "越界核实"},
    ),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "detail",
        control=False,
        note="probes have no photo",
    ),
    Route(
        "api",
        "/api/v1/members/",
        "org",
        "write",
        method="POST",
        data=lambda p: {**_NEW_MEMBER, "org_id": p.pk},
    ),
    Route(
        "api",
        "/api/v1/members/{id}",
        "member",
        "write",
        method="PATCH",
        data={"work_unit": "越界修改"},
    ),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "write",
        method="POST",
        control_status=frozenset({422}),
        note="no file in a JSON body: the insider gets 422, the outsider 404 before that",
    ),
    Route(
        "api",
        "/api/v1/members/export",
        "member",
        "export",
        method="POST",
        control=False,
        note="an .xlsx is compressed: tests/members/test_excel.py opens it",
    ),
    Route(
        "api",
        "/api/v1/members/export?reveal=true",
        "member",
        "export",
        method="POST",
        data={"reveal": True},
        control=False,
    ),
    # Transfers
    Route(
        "api",
        "/api/v1/members/{id}/transfers",
        "member",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {"to_org_id": _org_pk("中共凤凰山街道工作委员会")},
    ),
    Route("api", "/api/v1/members/transfers/", "transfer", "list"),
    Route("api", "/api/v1/members/transfers/{id}", "transfer", "detail"),
    Route(
        "api",
        "/api/v1/members/transfers/{id}/transitions",
        "transfer",
        "write",
        method="POST",
        data={"action": "approve_out", "note": "同意"},
    ),
    # Community check-in
    Route(
        "api",
        "/api/v1/members/{id}/checkins",
        "member",
        "write",
        method="POST",
        data=lambda p: {"community_id": _area_pk("凤山社区")},
    ),
    Route(
        "api",
        "/api/v1/members/checkins/orgs/{id}",
        "org",
        "write",
        method="POST",
        control_status=_ANY,
        data=lambda p: {"community_id": _area_pk("龙桥社区")},
    ),
    Route("api", "/api/v1/members/checkins/", "checkin", "list"),
    Route("api", "/api/v1/members/checkins/?community={id}", "area", "children"),
    Route("api", "/api/v1/members/checkins/{id}", "checkin", "detail"),
    Route(
        "api",
        "/api/v1/members/checkins/{id}/services",
        "checkin",
        "write",
        method="POST",
        data={"content": "环境整治", "hours": 2},
    ),
    # Mobile members
    Route(
        "api",
        "/api/v1/members/{id}/mobile",
        "member",
        "write",
        method="POST",
        data={"destination": "江苏省南通市", "left_on": "2026-01-01"},
    ),
    Route("api", "/api/v1/members/mobile/", "mobile", "list"),
    Route("api", "/api/v1/members/mobile/warnings", "mobile", "list"),
    Route("api", "/api/v1/members/mobile/{id}", "mobile", "detail"),
    Route(
        "api",
        "/api/v1/members/mobile/{id}/reports",
        "mobile",
        "write",
        method="POST",
        data={"kind": "contact"},
    ),
    Route("api", "/api/v1/members/mobile/{id}/end", "mobile", "write", method="POST"),
    # Statistics
    Route("api", "/api/v1/stats/members?org={id}", "org", "detail"),
    Route("api", "/api/v1/stats/members?area={id}", "area", "detail"),
]

UNSCOPED_API_ROUTES |= {
    ("GET", "/api/v1/members/import"),  # the columns an import understands
    ("GET", "/api/v1/members/import/template"),  # the blank template
    ("POST", "/api/v1/members/import"),  # a file upload: see the note above
}


WATCHED_COUNTS += [
    _member_models.Member,
    _member_models.MemberCategory,
    _member_models.MemberTransfer,
    _member_models.TransferStep,
    _member_models.CommunityCheckin,
    _member_models.CheckinService,
    _member_models.MobileRegistration,
    _member_models.MobileReport,
]


@fingerprint
def _members_rows(out: dict) -> None:
    """Adds the member rows to the fingerprint."""
    m = _member_models
    out["members:rows"] = list(
        m.Member.objects.order_by("pk").values_list(
            "pk", "org_path", "area_path", "name", "work_unit", "updated_at"
        )
    )
    out["transfers:rows"] = list(
        m.MemberTransfer.objects.order_by("pk").values_list("pk", "state", "updated_at")
    )
    out["checkins:rows"] = list(
        m.CommunityCheckin.objects.order_by("pk").values_list("pk", "service_hours")
    )
    out["mobile:rows"] = list(
        m.MobileRegistration.objects.order_by("pk").values_list("pk", "active", "last_contact_on")
    )


# --- members: the console pages ----------------------------------------------------------------
# Appended by the member registry's console (dangjian/members/views.py). Form posts send the
# fields a browser would; a successful write answers 302 (to the file), a refused one 200 with
# the form's errors.

_WRITE_OK = frozenset({200, 302})

ROUTES += [
    Route("console", "/members/", "member", "list"),
    Route("console", "/members/?q=越界", "member", "list", note="name search"),
    Route("console", "/members/?q=YJ", "member", "list", note="pinyin initials search"),
    Route(
        "console",
        "/members/?q=" + _probe_id(0),
        "member",
        "list",
        control=False,
        note="ID number search",
    ),
    Route("console", "/members/?category=in_service&status=full", "member", "list"),
    Route("console", "/members/?org={id}", "org", "children", note="an org subtree filter"),
    Route("console", "/members/{id}/", "member", "detail"),
    Route("console", "/members/{id}/edit/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/edit/",
        "member",
        "write",
        method="POST",
        data={"work_unit": "越界修改"},
        control_status=_WRITE_OK,
    ),
    Route(
        "console",
        "/members/{id}/reveal/",
        "member",
        "write",
        method="POST",
        data={"field": "id_number", "purpose": "verify", "reason": "越界核实"},
        note="a reveal writes an audit row: an outsider's must write none",
    ),
    Route(
        "console",
        "/members/new/",
        "org",
        "write",
        method="POST",
        data=lambda p: {**_NEW_MEMBER, "org": p.pk},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/{id}/transfer/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/transfer/",
        "member",
        "write",
        method="POST",
        data=lambda p: {"kind": "internal", "to_org": _org_pk("中共凤凰山街道工作委员会")},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/{id}/mobile/", "member", "detail"),
    Route(
        "console",
        "/members/{id}/mobile/",
        "member",
        "write",
        method="POST",
        data={"destination": "江苏省南通市", "left_on": "2026-01-01"},
        control_status=_WRITE_OK,
    ),
    Route("console", "/members/transfers/", "transfer", "list"),
    Route("console", "/members/transfers/?state=requested", "transfer", "list"),
    Route(
        "console",
        "/members/transfers/{id}/transition/",
        "transfer",
        "write",
        method="POST",
        data={"action": "approve_out", "note": "同意"},
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/mobile/{id}/end/",
        "mobile",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route("console", "/members/checkins/", "checkin", "list"),
    Route("console", "/members/checkins/?q=越界", "checkin", "list"),
    Route(
        "console",
        "/members/export/",
        "member",
        "export",
        method="POST",
        control=False,
        note="an .xlsx is compressed: tests/members/test_console.py opens it",
    ),
    Route(
        "console",
        "/members/export/?reveal=1",
        "member",
        "export",
        method="POST",
        data={"reveal": "1"},
        control=False,
    ),
    Route(
        "console",
        "/members/stats/",
        "member",
        "list",
        control=False,
        note="counts only: no names to look for",
    ),
    Route("console", "/members/stats/?org={id}", "org", "children"),
    Route("console", "/members/stats/?area={id}", "area", "children"),
    # The pickers' options (htmx fragments)
    Route("console", "/members/options/orgs/", "org", "list"),
    Route("console", "/members/options/orgs/?q=中共", "org", "list"),
    Route("console", "/members/options/orgs/?purpose=target&q=ZG", "org", "list"),
    Route("console", "/members/options/areas/", "area", "list"),
    Route("console", "/members/options/areas/?purpose=residence&q=单元", "area", "list"),
]

# The upload form (a file names no probe: see the note above on POST /api/v1/members/import)
# and the blank template.
UNSCOPED_CONSOLE_ROUTES |= {"/members/import/", "/members/import/template/"}


# --- members: background jobs, photos, service records, cadres in the console -----------------
# Appended by the member registry. A background job (``members.jobs``) is its creator's own:
# the probes are jobs of the insider, run to their end (the export has its workbook); the
# outsider reads 404 everywhere. ``POST /api/v1/members/imports/`` takes a file and names no
# probe (tests/members/test_jobs.py checks its scope); an export job naming an organization of
# the first county is refused (404) and writes no job.


def _member_job(world, kind: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.members import job_runs, jobs
    from tests.members.helpers import xlsx

    admin = world.users[INSIDER]
    if kind == "import":
        content = xlsx([["姓名", "民族"], ["越界探针导入", "汉族"]])
        job = jobs.import_job_start(actor=admin, upload=SimpleUploadedFile("probe.xlsx", content))
    else:
        job = jobs.export_job_start(actor=admin, filters={"q": "越界"})
    job_runs.run_job(job.pk)
    return Probe(job.pk, f"后台任务{job.pk}", markers=(f"/members/jobs/{job.pk}/",))


def import_job_probes(world) -> list[Probe]:
    return [_member_job(world, "import")]


def export_job_probes(world) -> list[Probe]:
    _probe_member(world, "grid_branch", "越界探针导出", 90)
    return [_member_job(world, "export")]


FACTORIES.update({"import_job": import_job_probes, "export_job": export_job_probes})

ROUTES += [
    Route("api", "/api/v1/members/imports/", "import_job", "list"),
    Route("api", "/api/v1/members/imports/{id}", "import_job", "detail"),
    Route("api", "/api/v1/members/exports/", "export_job", "list"),
    Route("api", "/api/v1/members/exports/{id}", "export_job", "detail"),
    Route(
        "api",
        "/api/v1/members/exports/{id}/file",
        "export_job",
        "detail",
        control=False,
        note="a streamed file: tests/members/test_jobs.py downloads and opens it",
    ),
    Route(
        "api",
        "/api/v1/members/exports/",
        "org",
        "write",
        method="POST",
        data=lambda p: {"org": p.pk},
        control_status=frozenset({200, 409}),
        note="one export job per user: the insider's next start, its first still queued, is 409",
    ),
    Route("console", "/members/jobs/", "export_job", "list"),
    Route("console", "/members/jobs/?page=1", "import_job", "list"),
    Route("console", "/members/jobs/{id}/", "export_job", "detail"),
    Route("console", "/members/jobs/{id}/?kind=import", "import_job", "detail"),
    Route("console", "/members/jobs/{id}/progress/", "import_job", "detail"),
    Route(
        "console",
        "/members/jobs/{id}/file/",
        "export_job",
        "detail",
        control=False,
        note="a streamed file: tests/members/test_jobs.py downloads and opens it",
    ),
    # The photo (probes have none: the insider's read is 404 too)
    Route("console", "/members/{id}/photo/", "member", "detail", control=False),
    Route(
        "console",
        "/members/{id}/photo/upload/",
        "member",
        "write",
        method="POST",
        control_status=frozenset({302}),
        note="no file: the insider is sent back with the message, the outsider gets 404",
    ),
    # The community's service records of a check-in
    Route("console", "/members/checkins/{id}/", "checkin", "detail"),
    Route(
        "console",
        "/members/checkins/{id}/",
        "checkin",
        "write",
        method="POST",
        data={"content": "越界服务", "hours": "1"},
        control_status=_WRITE_OK,
    ),
]

UNSCOPED_API_ROUTES |= {("POST", "/api/v1/members/imports/")}

WATCHED_COUNTS += [_member_models.MemberJob]

# Cancelling a job and removing a photo. The job probes have run to their end, so the
# insider's cancel is refused (409 in the API, a message and a redirect in the console); the
# member probes have no photo, so the insider's removal is refused the same way.
ROUTES += [
    Route(
        "api",
        "/api/v1/members/imports/{id}/cancel",
        "import_job",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route(
        "api",
        "/api/v1/members/exports/{id}/cancel",
        "export_job",
        "write",
        method="POST",
        control_status=frozenset({409}),
    ),
    Route(
        "console",
        "/members/jobs/{id}/cancel/",
        "export_job",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
    Route(
        "api",
        "/api/v1/members/{id}/photo",
        "member",
        "write",
        method="DELETE",
        control_status=frozenset({409}),
        note="probes have no photo: the insider gets 409, the outsider 404 before that",
    ),
    Route(
        "console",
        "/members/{id}/photo/remove/",
        "member",
        "write",
        method="POST",
        control_status=frozenset({302}),
    ),
]


@fingerprint
def _member_jobs_rows(out: dict) -> None:
    """Adds the job rows and the photos to the fingerprint."""
    m = _member_models
    out["member_jobs:rows"] = list(
        m.MemberJob.objects.order_by("pk").values_list(
            "pk", "state", "cancel_requested_at", "source_id", "result_id", "files_expired_at"
        )
    )
    out["member_photos:rows"] = list(
        m.Member.objects.filter(photo__isnull=False).order_by("pk").values_list("pk", "photo_id")
    )


# --- members: disciplinary sanctions ------------------------------------------------------------
# The revoke routes name the member ({id}) and a sanction: with the probe's pk in both places
# no such sanction belongs to it, so the insider's control answers 404 too.
_SANCTION = {"kind": "warning", "decided_on": "2026-01-05", "reason": "越界探针处分"}
ROUTES += [
    Route(
        "api",
        "/api/v1/members/{id}/sanctions",
        "member",
        "detail",
        control=False,
        note="the list names no member: the insider's 200 is checked in tests/members",
    ),
    Route(
        "api", "/api/v1/members/{id}/sanctions", "member", "write", method="POST", data=_SANCTION
    ),
    Route(
        "api",
        "/api/v1/members/{id}/sanctions/{id}/revoke",
        "member",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({404}),
    ),
    Route(
        "console",
        "/members/{id}/sanctions/",
        "member",
        "write",
        method="POST",
        data=_SANCTION,
        control_status=frozenset({302}),
    ),
    Route(
        "console",
        "/members/{id}/sanctions/{id}/revoke/",
        "member",
        "write",
        method="POST",
        data={"reason": "越界撤销"},
        control_status=frozenset({404}),
    ),
]
WATCHED_COUNTS += [_member_models.Sanction]
