import os
import shutil

import pytest
from django.db.backends.signals import connection_created
from hypothesis import settings as hypothesis_settings

from tests import world as world_mod


def _shared_cache_reads_take_no_lock(sender, connection, **kwargs):
    """The browser tests' live server shares the in-memory SQLite test database between threads
    in shared-cache mode, where a reader holds a table lock that makes a concurrent writer fail
    at once ("database table is locked"; the busy timeout does not apply to those locks). A page
    fetching its badges while the test's next request writes is such a pair. Readers of the test
    database read uncommitted instead, as the file database of a deployment (WAL) lets readers
    and the writer go on together."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.connection.execute("PRAGMA read_uncommitted = 1")


connection_created.connect(_shared_cache_reads_take_no_lock)


def _commits_not_flushed_to_disk(sender, connection, **kwargs):
    """The tests' PostgreSQL commits without waiting for the WAL to reach the disk: each test
    database is built by a few hundred committed migrations and every transactional test
    flushes every table, and what a crash of the test server could lose is thrown away anyway.
    (Not a setting of the application: a deployment's commits are durable.)"""
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")


connection_created.connect(_commits_not_flushed_to_disk)

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

hypothesis_settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True)
hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_report_header(config):
    lines = []
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        lines.append("browser tests: SKIPPED, no Chromium at /usr/bin/chromium (CI installs it)")
    db = os.environ.get("DATABASE_URL", "")
    lines.append(
        f"database: {'PostgreSQL' if db.startswith('postgres') else 'SQLite (embedded default)'}"
    )
    return lines


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _files_dir(settings, tmp_path_factory):
    """Stored files go to a temporary folder, never into var/."""
    settings.DANGJIAN = {**settings.DANGJIAN, "FILES_DIR": tmp_path_factory.getbasetemp() / "files"}


@pytest.fixture
def world(db):
    return world_mod.build()


def module_rows(django_db_blocker, build):
    """Rows shared by a whole module of tests, Django's ``TestCase.setUpTestData`` for pytest
    (a generator for a module-scoped fixture): ``build()`` runs once inside an outer
    transaction; each test's own transaction (the ``db`` fixture) is then a savepoint inside it,
    rolled back after the test, and the outer one is rolled back after the module. Every test of
    such a module that touches the database must want those rows, and none may be
    transactional (its flush would empty them)."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # the hasher every test uses (``_fast_passwords``), so the shared accounts log in
            with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
                built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker):
    """One world for a whole module of tests (``module_rows``). A module opts in by defining
    ``world`` over ``shared_world``."""
    yield from module_rows(django_db_blocker, world_mod.build)


@pytest.fixture
def shared_world(module_world, db):
    """The module's world for one test: a copy of its model instances (as ``setUpTestData``
    copies class attributes), so a test that changes one in memory leaves the next test's
    alone; the rows themselves are restored by the rollback of the test's savepoint."""
    return world_mod.copy_of(module_world)


@pytest.fixture
def api(client):
    return world_mod.ApiClient(client)


@pytest.fixture(scope="session")
def chromium_browser():
    """Real Chromium through Playwright: skipped outside CI when absent, a failure in CI."""
    if not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must run the browser tests")
        pytest.skip(
            f"no Chromium at {CHROMIUM}: browser tests skipped (CI installs Debian's chromium)"
        )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser):
    context = chromium_browser.new_context(locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def postgres_only():
    """Mark for tests that need PostgreSQL (row locks under real concurrency)."""
    return pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (the .ci/run PostgreSQL pass runs it)",
    )
