import pytest


@pytest.mark.django_db
def test_street_staff_sees_only_their_street(world, api):
    r = api.get(world.users["street"], "/api/v1/areas/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 1
    assert body["items"][0]["name"] == "龙桥街道"
    assert body["items"][0]["child_count"] == 1


@pytest.mark.django_db
def test_children_list_and_ancestor_is_404(world, api):
    u = world.users["street"]
    r = api.get(u, "/api/v1/areas/", parent=world.street.pk)
    assert [i["name"] for i in r.json()["items"]] == ["龙桥社区"]
    assert api.get(u, f"/api/v1/areas/{world.county.pk}").status_code == 404
    assert api.get(u, "/api/v1/areas/", parent=world.county.pk).status_code == 404
    assert api.get(u, f"/api/v1/areas/{world.grid.pk}").json()["kind"] == "grid"


@pytest.mark.django_db
def test_orgs_visible_through_area_and_org_grants(world, api):
    r = api.get(world.users["street"], "/api/v1/orgs/")
    assert [i["name"] for i in r.json()["items"]] == ["中共龙桥街道工作委员会"]
    r = api.get(world.users["city"], "/api/v1/orgs/")
    assert [i["name"] for i in r.json()["items"]] == ["中共莆田市委"]


@pytest.mark.django_db
def test_token_flow(world, client):
    from tests.world import PASSWORD

    r = client.post(
        "/api/v1/auth/token",
        {"username": "t-community", "password": PASSWORD},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    tok = r.json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tok}"})
    assert me.json()["username"] == "t-community"
    assert client.get("/api/v1/me").status_code == 401
