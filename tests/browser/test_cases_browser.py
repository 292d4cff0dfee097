"""The grid event closed loop in real Chromium: a grid worker reports an event on the mobile
page (the phone's location, a photo, the likely duplicate shown before submitting), the
street opens and dispatches it with the suggestion in view, the department signs for it in
its inbox and reports it handled with a photo, the street verifies and closes it."""

import pytest

from tests import world as world_mod

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[119.0, 25.4], [119.1, 25.4], [119.1, 25.5], [119.0, 25.5], [119.0, 25.4]]],
}


def _sign_in(browser, live_server, username, path, totp=None, **context):
    ctx = browser.new_context(locale="zh-CN", **context)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}{path}")
    assert "/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", world_mod.PASSWORD)
    if totp is not None:
        page.fill("input[name=otp]", world_mod.fresh_code(totp, username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{path}")
    return ctx, page


def _width(page) -> float:
    return page.locator("#grid-svg").bounding_box()["width"]


@pytest.mark.django_db(transaction=True)
def test_grid_worker_reports_and_a_department_closes_it(live_server, chromium_browser):
    from dangjian.cases.models import Event, EventAttachment, EventLink
    from tests.cases import helpers

    w = world_mod.build()
    street_totp = world_mod.enrol_totp(w.users["street"])  # can grant roles (issue 14)
    helpers.ensure_taxonomy()
    depts = helpers.departments(w)
    helpers.department_user("t-dept-env", depts["环卫所"])
    grid = w.nodes["grid"]
    grid.boundary = SQUARE
    grid.min_lng, grid.max_lng, grid.min_lat, grid.max_lat = 119.0, 119.1, 25.4, 25.5
    grid.save()
    earlier = helpers.report(w.users["resident"], "东门垃圾堆积发臭，没人清运")

    # 1. The grid worker on patrol, on the phone.
    ctx, page = _sign_in(
        chromium_browser,
        live_server,
        "t-grid",
        "/m/cases/report/",
        geolocation={"latitude": 25.45, "longitude": 119.05},
        permissions=["geolocation"],
        viewport={"width": 390, "height": 844},
    )
    page.select_option("#id_area", label="\u30001号楼单元")
    page.select_option("#id_class_code", "environment")
    page.fill("#id_description", "小区东门垃圾堆积发臭，没人清运")
    page.locator("#dup-list").wait_for(state="visible")
    assert "我也遇到" in page.locator("#dup-list").inner_text()
    page.fill("#id_place", "东门岗亭旁")
    # The map of the grid: a tap in its middle picks the middle of the grid.
    page.locator("#grid-map").wait_for(state="visible")
    page.click("#grid-svg", position={"x": 0.5 * _width(page), "y": 0.5 * _width(page)})
    assert abs(float(page.input_value("#id_lng")) - 119.05) < 0.002
    assert abs(float(page.input_value("#id_lat")) - 25.45) < 0.002
    assert page.locator("#grid-svg circle.pin").count() == 1
    # ... or the phone's own position.
    page.click("#locate")
    page.locator("#locate-status", has_text="已获取当前位置").wait_for()
    assert page.input_value("#id_lng") == "119.050000"
    page.set_input_files(
        "input[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.click("#report-submit")
    page.wait_for_url(f"{live_server.url}/m/cases/*/")
    assert "上报成功" in page.locator("body").inner_text()
    event = Event.objects.exclude(pk=earlier.pk).get()
    assert (event.area_id, event.lng, event.lat) == (w.nodes["unit"].pk, 119.05, 25.45)
    assert EventLink.objects.filter(low=earlier, high=event).exists()
    assert EventAttachment.objects.filter(event=event, stage="report").count() == 1
    page.goto(f"{live_server.url}/m/cases/")
    assert f'data-event="{event.pk}"' in page.content()
    ctx.close()

    # 2. The street opens and dispatches it.
    ctx, page = _sign_in(
        chromium_browser, live_server, "t-street", f"/cases/{event.pk}/", totp=street_totp
    )
    assert "置信度" in page.locator("#suggestion").inner_text()
    assert "环卫所" in page.locator("#suggestion").inner_text()
    page.click("#move-open button[type=submit]")
    page.locator("#event-state", has_text="已立案").wait_for()
    page.select_option(
        "#move-dispatch select[name=department_id]", label="环卫所（城厢区·龙桥街道）"
    )
    page.fill("#move-dispatch textarea[name=note]", "请尽快清运")
    page.click("#move-dispatch button[type=submit]")
    page.locator("#event-state", has_text="已派遣").wait_for()
    assert page.locator("#event-department").inner_text() == "环卫所（城厢区·龙桥街道）"
    ctx.close()

    # 3. The department: inbox, sign for it, report it handled with a photo.
    ctx, page = _sign_in(chromium_browser, live_server, "t-dept-env", "/cases/inbox/")
    page.click(f'tr[data-event="{event.pk}"] a.event-link')
    page.wait_for_url(f"{live_server.url}/cases/{event.pk}/")
    page.click("#move-accept button[type=submit]")
    page.locator("#event-state", has_text="处置中").wait_for()
    page.fill("#move-finish textarea[name=note]", "已清运完毕，现场已冲洗")
    page.set_input_files(
        "#move-finish input[name=photos]",
        files=[{"name": "done.png", "mimeType": "image/png", "buffer": PNG + b"1"}],
    )
    page.click("#move-finish button[type=submit]")
    page.locator("#event-state", has_text="已处置待核查").wait_for()
    ctx.close()

    # 4. The street verifies and closes it.
    ctx, page = _sign_in(
        chromium_browser, live_server, "t-street", f"/cases/{event.pk}/", totp=street_totp
    )
    assert page.locator("#event-history img[alt=处置照片]").count() == 1
    page.select_option("#move-verify_pass select[name=resolution]", "solved")
    page.click("#move-verify_pass button[type=submit]")
    page.locator("#event-state", has_text="已结案").wait_for()
    history = page.locator("#event-history").inner_text()
    for label in ("采集上报", "立案", "派遣", "签收", "处置完毕", "核查通过并结案"):
        assert label in history
    page.screenshot(path="/tmp/cases.png", full_page=True)
    ctx.close()

    event.refresh_from_db()
    assert event.state == "closed" and event.on_time is True
    assert EventAttachment.objects.filter(event=event, stage="handling").count() == 1
