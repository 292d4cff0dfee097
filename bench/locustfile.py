"""The load of ``bench.load``: scoped list routes, and residents reporting events.

Read by locust in its own process; the tokens come from ``BENCH_LOAD_TOKENS`` (a JSON file
written by ``bench.load``): ``{"staff": [...], "residents": [...]}``.
"""

from __future__ import annotations

import itertools
import json
import os

from locust import HttpUser, constant, task

TOKENS = json.loads(open(os.environ["BENCH_LOAD_TOKENS"]).read())
SCENARIO = os.environ.get("BENCH_LOAD_SCENARIO", "lists")
_staff = itertools.cycle(TOKENS["staff"])
_residents = itertools.cycle(TOKENS["residents"])
_n = itertools.count()

DESCRIPTIONS = (
    "小区门口垃圾堆积，已经好几天没人清理了",
    "楼道里电动车充电，存在消防安全隐患",
    "路灯不亮，晚上出行不安全",
    "下水道堵塞，污水漫到路面上",
    "小区内有人占用消防通道停车",
)


class ListReader(HttpUser):
    """A street officer paging through the lists of their reach."""

    wait_time = constant(0)
    weight = 1 if SCENARIO == "lists" else 0

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {next(_staff)}"

    @task(3)
    def areas(self):
        self.client.get("/api/v1/areas/?page_size=20", name="GET /api/v1/areas/")

    @task(3)
    def events(self):
        self.client.get("/api/v1/cases/?page_size=20", name="GET /api/v1/cases/")

    @task(2)
    def members(self):
        self.client.get("/api/v1/members/?page_size=20", name="GET /api/v1/members/")


class Reporter(HttpUser):
    """A resident reporting a problem from the phone."""

    wait_time = constant(0)
    weight = 1 if SCENARIO == "intake" else 0

    def on_start(self):
        self.client.headers["Authorization"] = f"Bearer {next(_residents)}"

    @task
    def report(self):
        i = next(_n)
        body = {"description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]}（第{i}次反映）"}
        with self.client.post(
            "/api/v1/cases/", json=body, name="POST /api/v1/cases/", catch_response=True
        ) as r:
            # A repeat of one's own report within the window is refused by design (409).
            if r.status_code in (200, 201, 409):
                r.success()
