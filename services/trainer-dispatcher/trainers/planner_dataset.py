"""Reads a dataset version written by the dataset-builder: a local folder (a path or a file:// URL) or s3://bucket/prefix/
holding training.parquet and recipes.parquet. S3 settings come from S3_ENDPOINT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and AWS_REGION."""

import os
from typing import Any
from urllib.parse import unquote, urlparse

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from training_contract import JobError


def open_location(location: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and root path of a dataset location."""
    if location.startswith("file://"):
        return pafs.LocalFileSystem(), os.path.abspath(unquote(urlparse(location).path))
    if not location.startswith("s3://"):
        return pafs.LocalFileSystem(), os.path.abspath(location)
    url = urlparse(location)
    if not url.netloc:
        raise JobError(f"dataset location {location} names no bucket")
    options: dict[str, Any] = {
        "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
        "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "region": os.environ.get("AWS_REGION") or "us-east-1",
    }
    if os.environ.get("S3_ENDPOINT"):
        # S3-compatible servers (S3Proxy, older MinIO) refuse the AWS SDK's default CRC checksums on uploads.
        os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "WHEN_REQUIRED")
        os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "WHEN_REQUIRED")
        endpoint = urlparse(os.environ["S3_ENDPOINT"])
        options.update(endpoint_override=endpoint.netloc, scheme=endpoint.scheme or "https")
    return pafs.S3FileSystem(**options), f"{url.netloc}/{url.path.strip('/')}".rstrip("/")


def read_columns(location: str, file_name: str, columns: list[str]) -> dict[str, list[Any]]:
    """The named columns of one parquet file of the dataset, as Python lists."""
    filesystem, root = open_location(location)
    path = f"{root}/{file_name}"
    try:
        schema = pq.read_schema(path, filesystem=filesystem)
        missing = [c for c in columns if c not in schema.names]
        if missing:
            raise JobError(f"{file_name} at {location} lacks the column(s) {', '.join(missing)}")
        table = pq.read_table(path, filesystem=filesystem, columns=columns)
    except (OSError, ValueError) as e:  # pyarrow's not-found, access and corrupt-file errors
        raise JobError(f"cannot read {file_name} at {location}: {str(e).strip().splitlines()[0]}") from e
    return {name: table.column(name).to_pylist() for name in columns}
