"""The mobile home page (/m/): signed-in only, tiles by what the user may do."""

from __future__ import annotations

from dangjian.portal import tiles


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/m/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_tiles_follow_the_users_actions(client, world, monkeypatch):
    monkeypatch.setattr(
        tiles,
        "TILES",
        (
            tiles.Tile("首页", "portal:home"),
            tiles.Tile("审计", "portal:home", "audit.view"),
            tiles.Tile("管理党员", "portal:home", "members.manage"),
        ),
    )
    client.force_login(world.users["resident"])
    page = client.get("/m/").content.decode()
    assert "首页" in page and "审计" in page
    assert "管理党员" not in page
    client.force_login(world.users["community"])
    assert "管理党员" in client.get("/m/").content.decode()
