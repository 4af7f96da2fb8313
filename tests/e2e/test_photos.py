"""A photo taken offline with a visit survives a closed browser and reaches the server once."""

import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.conftest import PHONE_SCREEN, _watch_csp
from tests.e2e.pages import Phone
from tests.e2e.test_accessibility import _axe, _readable


def camera_jpeg() -> bytes:
    """A 2,400 x 1,800 camera JPEG with a GPS position in its EXIF."""
    image = Image.new("RGB", (2400, 1800), (90, 140, 60))
    exif = Image.Exif()
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (31.0, 13.0, 48.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


@pytest.fixture
def persistent_phone(playwright, live_server, tmp_path) -> Iterator[Callable[[], Phone]]:
    """`persistent_phone()` launches a phone's browser with its profile on disk: closed
    (`p.context.close()`) and launched again, it finds its IndexedDB, cookies and
    service worker, as a real phone's browser does. Closed after the test."""
    launched: list[Phone] = []

    def launch() -> Phone:
        launched.append(_launch(playwright, live_server, tmp_path / "profile"))
        return launched[-1]

    yield launch
    for phone in launched:
        phone.context.close()


def _launch(playwright, live_server, profile: Path) -> Phone:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        **PHONE_SCREEN,
        locale="en-US",
        base_url=live_server.url,
    )
    _watch_csp(context)
    context.set_default_timeout(10_000)
    return Phone(context, live_server)


def test_a_photo_taken_offline_reaches_the_server_once_after_the_browser_was_closed(
    persistent_phone, manager, api, live_server
):
    # Dahlia Sun has no visit of the seed's.
    customer = manager["customers"][3]
    admin = api(live_server.admin)
    p = persistent_phone().open()
    p.sign_in(manager["username"])
    p.wait_for_service_worker()

    p.set_online(False)
    form = p.open_visit_form(customer["id"])
    form.get_by_test_id("photo-input").set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}]
    )
    expect(form.get_by_test_id("photo-thumb")).to_have_count(1)
    found = {"Visit form with a photo": _axe(p.page)}
    p.save_visit(form, notes="Photographed the signed form, offline.")
    # The visit and its photo: two things wait (the sign-out warning counts both).
    p.expect_pending(2)
    expect(_thumbs(p, "waiting")).to_have_count(1)
    found["Customer card with a photo"] = _axe(p.page)
    assert not any(found.values()), _readable(found)

    # The whole browser closed, and launched again with its profile, still offline.
    p.context.close()
    p = persistent_phone()
    p.set_online(False)
    p.open()
    p.expect_pending(2)
    p.open_customer(customer["id"])
    expect(_thumbs(p, "waiting")).to_have_count(1)
    assert _visits(admin, customer) == []

    p.set_online(True)
    p.wait_synced()
    (visit,) = _visits(admin, customer)
    assert visit["notes"] == "Photographed the signed form, offline."
    photos = _wait_for_photos(admin, visit["id"], 1)
    # Made smaller on the phone: 1,600 px on the long side.
    assert (photos[0]["width"], photos[0]["height"]) == (1600, 1200)
    expect(_thumbs(p, "uploaded")).to_have_count(1)

    # Another tab and another sync send nothing twice.
    p.reopen()
    p.sync_now()
    assert len(_visits(admin, customer)) == 1
    assert len(admin.get(f"/api/v1/visits/{visit['id']}/photos")["items"]) == 1


def _thumbs(p, status: str):
    """The thumbnails on the open customer card of photos in this state."""
    return p.page.locator(f'[data-testid="photo-thumb"][data-status="{status}"]')


def _visits(api, customer) -> list[dict]:
    return api.get("/api/v1/visits", customer_id=customer["id"])["items"]


def _wait_for_photos(api, visit_id: str, count: int, timeout: float = 15.0) -> list[dict]:
    """The visit's photos once the phone's background upload has sent `count`."""
    deadline = time.monotonic() + timeout
    while True:
        items = api.get(f"/api/v1/visits/{visit_id}/photos")["items"]
        if len(items) >= count or time.monotonic() > deadline:
            assert len(items) == count, items
            return items
        time.sleep(0.25)
