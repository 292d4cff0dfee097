"""The load of ``bench.load``: scoped list routes, and residents reporting events.

Read by locust in its own process; the tokens come from ``BENCH_LOAD_TOKENS`` (a JSON file
written by ``bench.load``): ``{"staff": [...], "residents": [...], "texts": [...]}``.

The clients are ``FastHttpUser`` (geventhttpclient): the load generator shares the machine's
cores with the server, and locust's ``HttpUser`` (requests) costs several times its CPU per
request.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import FastHttpUser, constant, task

TOKENS = json.loads(open(os.environ["BENCH_LOAD_TOKENS"], encoding="utf-8").read())
SCENARIO = os.environ.get("BENCH_LOAD_SCENARIO", "lists")
_staff = itertools.cycle(TOKENS["staff"])
_residents = TOKENS["residents"]
_texts = TOKENS["texts"]
_n = itertools.count()


class ListReader(FastHttpUser):
    """A street officer paging through the lists of their reach."""

    wait_time = constant(0)
    weight = 1 if SCENARIO == "lists" else 0

    def on_start(self):
        self.auth = {"Authorization": f"Bearer {next(_staff)}"}

    @task(3)
    def areas(self):
        self.client.get("/api/v1/areas/?page_size=20", name="GET /api/v1/areas/", headers=self.auth)

    @task(3)
    def events(self):
        self.client.get("/api/v1/cases/?page_size=20", name="GET /api/v1/cases/", headers=self.auth)

    @task(2)
    def members(self):
        self.client.get(
            "/api/v1/members/?page_size=20", name="GET /api/v1/members/", headers=self.auth
        )


class Reporter(FastHttpUser):
    """Residents reporting problems from their phones.

    Each client is one connection that sends reports back to back; each report comes from
    the next resident of the pool (thousands, over every grid of the demo), with a text as
    residents write them. A resident reports again only after the whole pool has (minutes
    later, at the rates measured), with another text. Anything but 200 is an error: a real
    resident's report refused (409 for a repeat, 403, 422) is a failure, not a success.
    """

    wait_time = constant(0)
    weight = 1 if SCENARIO == "intake" else 0

    @task
    def report(self):
        i = next(_n)
        token = _residents[i % len(_residents)]
        body = {"description": _texts[i % len(_texts)]}
        with self.client.post(
            "/api/v1/cases/",
            json=body,
            name="POST /api/v1/cases/",
            headers={"Authorization": f"Bearer {token}"},
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {(r.text or '')[:200]}")
