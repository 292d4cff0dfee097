"""The registry the one shared cross-scope test class runs (``tests/spine/test_cross_scope.py``).

Every scoped API and console route is listed once, in the module of its domain; each module
registers, when it is imported, its routes, the factories of their probes, the routes that
read no scoped rows, the counts to watch and its step of the "nothing changed" fingerprint
(``registry``: the framework and the lists they extend). ``test_cross_scope.py`` runs each
route as an out-of-scope user, as an anonymous visitor and, as a control, as a user who may
see them.

A new domain adds a module here and its name to ``DOMAINS``, after the modules it borrows
helpers from (a module imported as a dependency registers then: the routes are collected in
this order either way).
"""

from __future__ import annotations

import importlib

from tests.spine.crossscope.registry import (
    FACTORIES,
    INSIDER,
    OUTSIDER,
    ROUTES,
    STATE_STEPS,
    UNSCOPED_API_ROUTES,
    UNSCOPED_CONSOLE_ROUTES,
    WATCHED_COUNTS,
    Answer,
    Probe,
    Route,
    state,
)

# The domain modules, each after those it takes helpers from.
DOMAINS = (
    "core",
    "territory",
    "organizations",
    "accounts",
    "members",
    "cadres",
    "committees",
    "cases",
    "development",
    "orglife",
    "dues",
    "notifications",
    "points",
    "assessment",
    "timebank",
    "dashboard",
    "exports",
)
for _domain in DOMAINS:
    importlib.import_module(f"{__name__}.{_domain}")

from tests.spine.crossscope.exports import EXPORT  # noqa: E402

__all__ = [
    "DOMAINS",
    "EXPORT",
    "FACTORIES",
    "INSIDER",
    "OUTSIDER",
    "ROUTES",
    "STATE_STEPS",
    "UNSCOPED_API_ROUTES",
    "UNSCOPED_CONSOLE_ROUTES",
    "WATCHED_COUNTS",
    "Answer",
    "Probe",
    "Route",
    "state",
]
