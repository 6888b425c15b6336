"""The artifact store: one small interface, a local folder and S3 behind it.

Every stage reads its input from here and writes its output here, keyed so that a rerun finds
what an earlier run finished. Keys are '/'-separated relative paths; any part of a key that comes
from catalog data goes through `safe_segment` first, and every key is checked again by
`check_key` so that nothing can be written outside the store's prefix.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import os
import re
import time
import urllib.parse
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tasks.errors import PreconditionFailed, StorageError, UnsafeKeyError

_SAFE = re.compile(r"[^A-Za-z0-9._\-]")


def safe_segment(value: str, max_len: int = 120) -> str:
    """Turn a catalog value (SKU, handle) into one key segment that cannot traverse or collide.

    Unsafe characters are percent-encoded (so `a/b` and `a_b` stay distinct), segments made only
    of dots are encoded too, and very long values are cut with a hash suffix to stay unique.
    """
    if not value:
        raise UnsafeKeyError("an empty value cannot name a storage key; give the product a SKU")
    out = _SAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode("utf-8")), value)
    if set(out) <= {"."}:
        out = out.replace(".", "%2E")
    if len(out) > max_len:
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]
        out = f"{out[: max_len - 13]}-{digest}"
    return out


def check_key(key: str) -> str:
    """Refuse keys that are absolute, empty, or contain `.`/`..` segments or backslashes."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise UnsafeKeyError(f"storage key {key!r} is not a relative '/'-separated path")
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", ".."):
        raise UnsafeKeyError(
            f"storage key {key!r} has an empty, '.' or '..' segment; build keys with safe_segment()"
        )
    return key


def join_key(*parts: str) -> str:
    return check_key("/".join(p.strip("/") for p in parts if p))


@dataclass
class ObjectInfo:
    key: str
    size: int
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    etag: str | None = None


def _guess_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class ArtifactStore(ABC):
    """Put/get bytes and JSON under keys relative to the store's root."""

    uri: str

    @abstractmethod
    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
        if_absent: bool = False,
    ) -> ObjectInfo:
        """Write an object; with `if_absent`, raise PreconditionFailed if it already exists."""

    @abstractmethod
    def put_file(
        self,
        key: str,
        fileobj: IO[bytes],
        *,
        content_type: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Stream a (possibly large) file; S3 switches to multipart above the threshold."""

    @abstractmethod
    def get_bytes(self, key: str) -> bytes:
        """Read an object; KeyError (a FileNotFoundError) when it does not exist."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """Size, content type and metadata, or None when the object does not exist."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, in lexical order."""

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def url(self, key: str, expires_s: int = 3600) -> str:
        """A URL a person or browser can open: presigned for S3, file:// locally."""

    def exists(self, key: str) -> bool:
        return self.head(key) is not None

    def put_json(self, key: str, obj: Any, *, if_absent: bool = False, **kw: Any) -> ObjectInfo:
        blob = json.dumps(obj, ensure_ascii=False, indent=2, default=str).encode("utf-8")
        return self.put_bytes(key, blob, content_type="application/json", if_absent=if_absent, **kw)

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def get_json_or(self, key: str, default: Any = None) -> Any:
        try:
            return self.get_json(key)
        except FileNotFoundError:
            return default

    def uri_for(self, key: str) -> str:
        return f"{self.uri.rstrip('/')}/{check_key(key)}"


class LocalStore(ArtifactStore):
    """A folder on disk with the same semantics (the embedded default)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.uri = f"file://{self.root}"

    def _path(self, key: str) -> Path:
        p = (self.root / check_key(key)).resolve()
        if self.root not in p.parents:
            raise UnsafeKeyError(f"storage key {key!r} resolves outside the store at {self.root}")
        return p

    def _meta_path(self, p: Path) -> Path:
        return p.with_name(f".{p.name}.meta.json")

    def put_bytes(self, key, data, *, content_type=None, metadata=None, if_absent=False):
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        tmp.write_bytes(data)
        if if_absent:
            try:
                os.link(tmp, p)  # atomic create-if-absent, like S3's If-None-Match: *
            except FileExistsError:
                raise PreconditionFailed(f"{key} already exists in {self.uri}") from None
            finally:
                tmp.unlink(missing_ok=True)
        else:
            os.replace(tmp, p)  # readers never see a half-written object
        info = ObjectInfo(key, len(data), content_type or _guess_type(key), dict(metadata or {}))
        self._meta_path(p).write_text(
            json.dumps({"content_type": info.content_type, "metadata": info.metadata})
        )
        return info

    def put_file(self, key, fileobj, *, content_type=None, metadata=None):
        return self.put_bytes(key, fileobj.read(), content_type=content_type, metadata=metadata)

    def get_bytes(self, key):
        p = self._path(key)
        try:
            return p.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise FileNotFoundError(f"{key} not found in {self.uri}") from None

    def head(self, key):
        p = self._path(key)
        if not p.is_file():
            return None
        meta = {}
        mp = self._meta_path(p)
        if mp.is_file():
            meta = json.loads(mp.read_text())
        return ObjectInfo(
            key,
            p.stat().st_size,
            meta.get("content_type") or _guess_type(key),
            meta.get("metadata", {}),
        )

    def list(self, prefix=""):
        base = self.root
        keys = []
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                if name.startswith("."):
                    continue
                rel = Path(dirpath, name).relative_to(base).as_posix()
                if rel.startswith(prefix):
                    keys.append(rel)
        yield from sorted(keys)

    def delete(self, key):
        p = self._path(key)
        p.unlink(missing_ok=True)
        self._meta_path(p).unlink(missing_ok=True)

    def url(self, key, expires_s=3600):
        return self._path(key).as_uri()


class S3Store(ArtifactStore):
    """Any S3 endpoint through boto3; endpoint and credentials come from the standard AWS variables.

    boto3's own retry machinery (standard mode, exponential backoff with jitter) retries throttling,
    5xx and connection errors; `max_attempts` bounds it.
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        max_attempts: int = 5,
        multipart_threshold_mb: int = 8,
        create_bucket: bool = True,
        endpoint_url: str | None = None,
    ) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            check_key(self.prefix)
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        cfg = Config(
            retries={"max_attempts": max_attempts, "mode": "standard"},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        )
        self.client = boto3.client("s3", config=cfg, endpoint_url=endpoint_url)
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold_mb * 1024 * 1024,
            multipart_chunksize=max(5, multipart_threshold_mb) * 1024 * 1024,
        )
        if create_bucket:
            self._ensure_bucket()

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code not in ("404", "NoSuchBucket", "NotFound"):
                raise StorageError(f"cannot access bucket {self.bucket!r}: {exc}") from None
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc2:
                code2 = exc2.response.get("Error", {}).get("Code")
                if code2 not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise StorageError(f"cannot create bucket {self.bucket!r}: {exc2}") from None
        except Exception as exc:  # endpoint unreachable, bad credentials
            raise StorageError(
                f"cannot reach S3 bucket {self.bucket!r} "
                f"(endpoint {self.client.meta.endpoint_url}): {exc}. Check AWS_ENDPOINT_URL_S3 "
                "and the AWS credentials"
            ) from None

    def _k(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_bytes(self, key, data, *, content_type=None, metadata=None, if_absent=False):
        from botocore.exceptions import ClientError

        kw: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self._k(key),
            "Body": data,
            "ContentType": content_type or _guess_type(key),
            "Metadata": dict(metadata or {}),
        }
        if if_absent:
            kw["IfNoneMatch"] = "*"
        try:
            resp = self.client.put_object(**kw)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise PreconditionFailed(f"{key} already exists in {self.uri}") from None
            raise StorageError(f"writing {key} to {self.uri} failed: {exc}") from None
        return ObjectInfo(key, len(data), kw["ContentType"], kw["Metadata"], resp.get("ETag"))

    def put_file(self, key, fileobj, *, content_type=None, metadata=None):
        extra = {"ContentType": content_type or _guess_type(key), "Metadata": dict(metadata or {})}
        self.client.upload_fileobj(fileobj, self.bucket, self._k(key), ExtraArgs=extra, Config=self.transfer)
        info = self.head(key)
        if info is None:
            raise StorageError(f"upload of {key} to {self.uri} reported success but is missing")
        return info

    def get_bytes(self, key):
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._k(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"{key} not found in {self.uri}") from None
            raise StorageError(f"reading {key} from {self.uri} failed: {exc}") from None

    def head(self, key):
        from botocore.exceptions import ClientError

        try:
            r = self.client.head_object(Bucket=self.bucket, Key=self._k(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise StorageError(f"checking {key} in {self.uri} failed: {exc}") from None
        return ObjectInfo(key, r["ContentLength"], r.get("ContentType"), r.get("Metadata", {}), r.get("ETag"))

    def list(self, prefix=""):
        full = self._k(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        if prefix and prefix.endswith("/") and not full.endswith("/"):
            full += "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            for obj in page.get("Contents", []):
                yield obj["Key"][strip:]

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._k(key))

    def url(self, key, expires_s=3600):
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._k(key)}, ExpiresIn=expires_s
        )


def open_store(uri: str, **kw: Any) -> ArtifactStore:
    """`file://PATH` → LocalStore, `s3://BUCKET/PREFIX` → S3Store."""
    if uri.startswith("file://"):
        return LocalStore(uri[len("file://") :] or ".")
    if uri.startswith("s3://"):
        parsed = urllib.parse.urlparse(uri)
        return S3Store(parsed.netloc, parsed.path.lstrip("/"), **kw)
    raise UnsafeKeyError(f"storage URI {uri!r} must start with file:// or s3://")


def store_from_settings(settings: Any) -> ArtifactStore:
    s = settings.storage
    if s.uri.startswith("s3://"):
        return open_store(
            s.uri,
            max_attempts=s.max_attempts,
            multipart_threshold_mb=s.multipart_threshold_mb,
            create_bucket=s.create_bucket,
        )
    return open_store(s.uri)


def read_uri_bytes(uri: str) -> bytes:
    """Read a source file given as a local path or an s3://bucket/key URI (for catalog inputs)."""
    if uri.startswith("s3://"):
        parsed = urllib.parse.urlparse(uri)
        import boto3

        try:
            obj = boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        except Exception as exc:
            raise FileNotFoundError(f"cannot read {uri}: {exc}") from None
        return obj["Body"].read()
    return Path(uri).read_bytes()
