"""Photos of a visit: checked by content, stripped of EXIF, thumbnailed, stored once,
private to the visit's scope, erased with the customer; on both stores.

The S3 store is exercised against moto's standalone server (`moto[server]`,
`ThreadedMotoServer` on a free port of this machine): real HTTP, boto3 talking to it.
"""

import io
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import ExifTags, Image

from server.audit.models import AuditEvent
from server.extensions import db
from server.models_base import utcnow
from server.photos.models import VisitPhoto
from server.photos.store import LocalStore, S3Store, photo_store, use_store

BUCKET = "fieldbook-photos-test"
GPS = ExifTags.IFD.GPSInfo


def jpeg(width=2400, height=1800, *, gps=True, color=(200, 80, 40)) -> bytes:
    """A camera-like JPEG, with the GPS position of a customer's site in its EXIF."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "FieldCam"
    if gps:
        exif[GPS] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (31.0, 13.0, 48.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (121.0, 28.0, 12.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request, app, tmp_path) -> Iterator[LocalStore | S3Store]:
    """The app's photo store for one test: a fresh directory, or a fresh bucket."""
    if request.param == "local":
        chosen: LocalStore | S3Store = LocalStore(tmp_path / "photos")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        config = {
            "PHOTO_S3_ENDPOINT_URL": endpoint,
            "PHOTO_S3_BUCKET": f"{BUCKET}-{uuid.uuid4().hex[:8]}",
            "PHOTO_S3_REGION": "us-east-1",
            "PHOTO_S3_ACCESS_KEY_ID": "testing",
            "PHOTO_S3_SECRET_ACCESS_KEY": "testing",
        }
        chosen = S3Store.from_config(config)
        chosen.client.create_bucket(Bucket=chosen.bucket)
    use_store(app, chosen)
    yield chosen
    app.extensions.pop("fieldbook_photo_store", None)


def keys(store) -> set[str]:
    """Every file the store holds."""
    if isinstance(store, LocalStore):
        if not store.root.exists():
            return set()
        return {str(p.relative_to(store.root)) for p in store.root.rglob("*") if p.is_file()}
    listed = store.client.list_objects_v2(Bucket=store.bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


@pytest.fixture
def visit(client, auth, team_setup):
    """A visit mgr_a1 logged for their customer cust_a1; mgr_a1 signed in."""
    auth.login(team_setup["mgr_a1"].username)
    answer = client.post(
        "/api/v1/visits",
        json={
            "customer_id": str(team_setup["cust_a1"].id),
            "channel": "visit",
            "purpose": "routine",
            "started_at": (utcnow() - timedelta(hours=1)).isoformat(),
        },
    )
    assert answer.status_code == 201, answer.json
    return answer.json


def put(client, visit_id, photo_id, data, content_type="image/jpeg"):
    return client.put(
        f"/api/v1/visits/{visit_id}/photos/{photo_id}", data=data, content_type=content_type
    )


def test_a_photo_is_stored_without_its_location_with_a_thumbnail(client, visit, store):
    sent = jpeg()
    with Image.open(io.BytesIO(sent)) as original:  # the test's own premise
        assert original.getexif().get_ifd(GPS)[ExifTags.GPS.GPSLatitudeRef] == "N"
    photo_id = uuid.uuid4()

    answer = put(client, visit["id"], photo_id, sent)

    assert answer.status_code == 201, answer.json
    photo = answer.json
    assert photo["id"] == str(photo_id)
    assert photo["visit_id"] == visit["id"]
    # 2400x1800 brought to 1,600 px on the long side: 1600x1200.
    assert (photo["width"], photo["height"]) == (1600, 1200)
    assert photo["thumbnail_url"] == f"/api/v1/photos/{photo_id}/thumbnail"
    assert keys(store) == {f"photos/{photo_id}.jpg", f"photos/{photo_id}.thumb.jpg"}

    stored = store.get(f"photos/{photo_id}.jpg")
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (1600, 1200)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info
    assert b"Exif" not in stored and b"FieldCam" not in stored

    fetched = client.get(photo["url"])
    assert fetched.status_code == 200
    assert fetched.mimetype == "image/jpeg"
    assert fetched.data == stored
    assert fetched.headers["Cache-Control"] == "no-store"
    thumb = client.get(photo["thumbnail_url"])
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert image.size == (320, 240)
        assert len(image.getexif()) == 0

    listed = client.get(f"/api/v1/visits/{visit['id']}/photos")
    assert [p["id"] for p in listed.json["items"]] == [str(photo_id)]


def test_the_same_id_sent_twice_is_stored_once(client, visit, store, in_app):
    sent = jpeg(800, 600)
    photo_id = uuid.uuid4()
    first = put(client, visit["id"], photo_id, sent)
    again = put(client, visit["id"], photo_id, sent)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json == first.json
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitPhoto)) == 1
    assert len(keys(store)) == 2

    # The same id for other bytes is another photo: refused, the first one stands.
    other = put(client, visit["id"], photo_id, jpeg(800, 600, color=(0, 0, 255)))
    assert other.status_code == 409
    assert other.json["error"]["code"] == "id_exists"
    assert client.get(first.json["url"]).data == store.get(f"photos/{photo_id}.jpg")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"%PDF-1.4 not a picture at all", "Not an image"),
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 64, "Not an image"),
    ],
)
def test_what_is_not_an_image_is_refused(client, visit, store, body, reason):
    answer = put(client, visit["id"], uuid.uuid4(), body)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "validation_error"
    assert reason in answer.json["error"]["fields"]["file"][0]
    assert keys(store) == set()


def test_an_image_of_another_kind_is_refused_by_its_content(client, visit, store):
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    # Whatever the header says: the bytes are a GIF.
    answer = put(client, visit["id"], uuid.uuid4(), gif.getvalue(), "image/jpeg")
    assert answer.status_code == 422
    assert "GIF" in answer.json["error"]["fields"]["file"][0]
    assert keys(store) == set()


def test_a_photo_over_10_mb_is_refused(client, visit, store, app):
    limit = app.config["PHOTO_MAX_BYTES"]
    assert limit == 10 * 1024 * 1024
    answer = put(client, visit["id"], uuid.uuid4(), b"\xff" * (limit + 1))
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "too_large"
    assert answer.json["error"]["fields"] == {"file": [f"Larger than {limit} bytes."]}
    assert keys(store) == set()


def test_a_body_over_the_servers_request_limit_gets_the_same_refusal(
    client, visit, store, app, monkeypatch
):
    # Werkzeug refuses a body over MAX_CONTENT_LENGTH before the view reads it.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    answer = put(client, visit["id"], uuid.uuid4(), jpeg(640, 480))
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "too_large"
    assert list(answer.json["error"]["fields"]) == ["file"]
    assert keys(store) == set()


def test_a_visit_takes_a_limited_number_of_photos(client, visit, store, monkeypatch, app):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PER_VISIT", 2)
    for _ in range(2):
        assert put(client, visit["id"], uuid.uuid4(), jpeg(64, 48)).status_code == 201
    third = put(client, visit["id"], uuid.uuid4(), jpeg(64, 48))
    assert third.status_code == 422
    assert "at most 2 photos" in third.json["error"]["fields"]["file"][0]


def test_only_those_who_may_see_the_visit_see_its_photos(client, auth, visit, team_setup, store):
    photo = put(client, visit["id"], uuid.uuid4(), jpeg(64, 48)).json
    urls = [f"/api/v1/visits/{visit['id']}/photos", photo["url"], photo["thumbnail_url"]]

    # Another manager of the same team, and one of another team: as if it did not exist.
    for outsider in ("mgr_a2", "mgr_b1", "lead_b"):
        auth.login(team_setup[outsider].username)
        for url in urls:
            answer = client.get(url)
            assert answer.status_code == 404, (outsider, url)
            assert answer.json["error"]["code"] == "not_found"
        refused = put(client, visit["id"], uuid.uuid4(), jpeg(64, 48))
        assert refused.status_code == 404
    for insider in ("lead_a", "admin"):
        auth.login(team_setup[insider].username)
        assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    assert len(keys(store)) == 2


def test_an_erasure_removes_the_customers_photos(client, auth, visit, team_setup, store, in_app):
    ids = [uuid.uuid4(), uuid.uuid4()]
    for photo_id in ids:
        assert put(client, visit["id"], photo_id, jpeg(64, 48)).status_code == 201
    assert len(keys(store)) == 4

    customer = team_setup["cust_a1"]
    auth.login(team_setup["admin"].username)
    erased = client.post(
        f"/api/v1/customers/{customer.id}/erase", json={"confirm": customer.external_no}
    )

    assert erased.status_code == 200, erased.json
    assert keys(store) == set()
    assert client.get(f"/api/v1/photos/{ids[0]}").status_code == 404
    with in_app():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitPhoto)) == 0
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "photos.erase"))
        assert event.target_id == str(customer.id)
        assert event.details == {"photos": 2}


def test_the_configured_store_is_the_local_directory(app):
    app.extensions.pop("fieldbook_photo_store", None)
    with app.app_context():
        store = photo_store()
    assert isinstance(store, LocalStore)
    assert str(store.root) == app.config["PHOTO_DIR"]


def test_the_personal_data_export_lists_the_photos(client, auth, visit, team_setup, store):
    photo_id = uuid.uuid4()
    assert put(client, visit["id"], photo_id, jpeg(64, 48)).status_code == 201
    auth.login(team_setup["admin"].username)
    data = client.get(f"/api/v1/customers/{team_setup['cust_a1'].id}/personal-data").json
    assert [(p["id"], p["visit_id"]) for p in data["visit_photos"]] == [
        (str(photo_id), visit["id"])
    ]


def test_a_photo_whose_file_is_gone_answers_404(client, visit, store):
    photo = put(client, visit["id"], uuid.uuid4(), jpeg(64, 48)).json
    store.delete([f"photos/{photo['id']}.jpg"])
    assert store.get(f"photos/{photo['id']}.jpg") is None
    answer = client.get(photo["url"])
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"
    assert client.get(photo["thumbnail_url"]).status_code == 200
