"""Where photo files live: one small interface, two stores.

`local` (the default: the demo, one machine) keeps files under a directory of the
instance folder; `s3` keeps them in an S3-compatible bucket through boto3 (a cluster:
every app server reads and writes the same bucket). Keys are `photos/<id>.jpg` and
`photos/<id>.thumb.jpg`: writing a key again replaces it, so a retried upload whose
first transaction rolled back leaves no second copy. Chosen by PHOTO_STORE
(docs/photos.md).
"""

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

import boto3
from flask import Flask, current_app


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None when there is none."""
        ...

    def delete(self, keys: list[str]) -> None:
        """Remove these files; a missing one is no error."""
        ...


class LocalStore:
    """Files under one directory (PHOTO_DIR), written whole or not at all."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        # Keys are made here from uuids; a key that would leave the root is a bug.
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"photo key outside the store: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # A reader never sees half a file: written beside it, then renamed over it.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._path(key).unlink(missing_ok=True)


class S3Store:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph...) through boto3."""

    def __init__(self, client: Any, bucket: str):
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_config(cls, config: dict) -> "S3Store":
        client = boto3.client(
            "s3",
            endpoint_url=config["PHOTO_S3_ENDPOINT_URL"] or None,
            region_name=config["PHOTO_S3_REGION"],
            # None: boto3's own chain (AWS_ACCESS_KEY_ID, an instance role...).
            aws_access_key_id=config["PHOTO_S3_ACCESS_KEY_ID"] or None,
            aws_secret_access_key=config["PHOTO_S3_SECRET_ACCESS_KEY"] or None,
        )
        return cls(client, config["PHOTO_S3_BUCKET"])

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey:
            return None
        return answer["Body"].read()

    def delete(self, keys: list[str]) -> None:
        # DeleteObjects takes up to 1,000 keys a call; deleting a missing key succeeds.
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True},
            )


_EXTENSION = "fieldbook_photo_store"


def init_app(app: Flask) -> None:
    """Check PHOTO_STORE now, so a misconfigured server fails at start, not at an upload."""
    kind = app.config["PHOTO_STORE"]
    if kind not in ("local", "s3"):
        raise RuntimeError(f"PHOTO_STORE must be 'local' or 's3', not {kind!r}")
    if kind == "s3" and not app.config["PHOTO_S3_BUCKET"]:
        raise RuntimeError("PHOTO_STORE=s3 needs PHOTO_S3_BUCKET")


def photo_store() -> PhotoStore:
    """The app's store, made at first use (a boto3 client is reused across requests)."""
    app = current_app
    store = app.extensions.get(_EXTENSION)
    if store is None:
        if app.config["PHOTO_STORE"] == "s3":
            store = S3Store.from_config(app.config)
        else:
            store = LocalStore(app.config["PHOTO_DIR"])
        app.extensions[_EXTENSION] = store
    return store


def use_store(app: Flask, store: PhotoStore) -> None:
    """Put `store` in place of the configured one (tests switch between the two)."""
    app.extensions[_EXTENSION] = store
