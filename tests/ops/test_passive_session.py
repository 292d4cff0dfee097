"""The badges a page fetches after it has loaded neither write the session nor extend its idle
time; a page the person opens does (SESSION_SAVE_EVERY_REQUEST)."""

import datetime as dt

from django.contrib.sessions.models import Session


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_the_badge_fetch_leaves_the_session_alone(world, client):
    client.force_login(world.users["street"])
    client.get("/")  # a page: the session is written
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=Session.objects.get(session_key=client.session.session_key).expire_date
        - dt.timedelta(minutes=10)
    )
    before = _expiry(client)
    r = client.get("/todos/counts/")
    assert r.status_code == 200 and "todos" in r.json()
    assert "sessionid" not in r.cookies
    assert _expiry(client) == before
    client.get("/")
    assert _expiry(client) > before
