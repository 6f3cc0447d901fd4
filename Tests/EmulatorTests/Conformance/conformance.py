"""Conformance of vmsnap's Blob emulator with the official Azure SDK (azure-storage-blob).

Run by ConformanceTests.swift against an in-process emulator. Environment: EMULATOR_URL (http://127.0.0.1:PORT),
EMULATOR_ACCOUNT, EMULATOR_KEY. Prints one line per check; exits 1 if any check failed.
"""

import base64
import datetime
import hashlib
import hmac
import os
import re
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import (
    BlobClient,
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    generate_blob_sas,
    generate_container_sas,
)

URL = os.environ["EMULATOR_URL"]
ACCOUNT = os.environ["EMULATOR_ACCOUNT"]
KEY = os.environ["EMULATOR_KEY"]
CONTAINER = "conformance"
SNAPSHOT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")

failures = []


def check(name):
    def run(function):
        try:
            function()
            print(f"ok   {name}")
        except Exception:  # noqa: BLE001 - every failure is reported, then the script exits 1
            failures.append(name)
            print(f"FAIL {name}\n{traceback.format_exc()}")
        return function

    return run


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_raises(kind, code, action):
    try:
        action()
    except kind as error:
        expect(getattr(error, "error_code", None) == code, f"expected error code {code}, got {error.error_code}")
        return error
    raise AssertionError(f"expected {kind.__name__} ({code})")


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def legacy_sas(blob, permissions, expiry, container=CONTAINER):
    """A 2014-02-14 blob SAS signed here, independently of the emulator: the pre-2015 string-to-sign."""
    fields = [permissions, "", expiry, f"/{ACCOUNT}/{container}/{blob}", "", "2014-02-14", "", "", "", "", ""]
    digest = hmac.new(base64.b64decode(KEY), "\n".join(fields).encode(), hashlib.sha256).digest()
    signature = base64.b64encode(digest).decode()
    query = urllib.parse.urlencode({"sv": "2014-02-14", "sr": "b", "sp": permissions, "se": expiry, "sig": signature})
    return signature, f"{URL}/{ACCOUNT}/{container}/{blob}?{query}"


def _raw(method, url):
    """A plain urllib request; HTTP errors become HttpResponseError-like failures carrying the status."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        failure = HttpResponseError(message=f"HTTP {error.code}")
        failure.error_code = None
        failure.status_code = error.code
        raise failure from None


def blob_sas_url(blob, **options):
    token = generate_blob_sas(ACCOUNT, CONTAINER, blob, account_key=KEY, **options)
    return f"{URL}/{ACCOUNT}/{CONTAINER}/{blob}?{token}"


service = BlobServiceClient.from_connection_string(
    f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};BlobEndpoint={URL}/{ACCOUNT};",
    max_single_put_size=4 * 1024,
    max_block_size=4 * 1024,
)
container = service.get_container_client(CONTAINER)


@check("create container with Shared Key (connection string)")
def _():
    container.create_container()
    expect_raises(ResourceExistsError, "ContainerAlreadyExists", container.create_container)
    wrong_key = base64.b64encode(b"not the account key").decode()
    intruder = BlobServiceClient.from_connection_string(
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={wrong_key};BlobEndpoint={URL}/{ACCOUNT};")
    expect_raises(ClientAuthenticationError, "AuthenticationFailed",
                  lambda: intruder.get_container_client(CONTAINER).get_container_properties())


@check("create page blob, write and read pages")
def _():
    disk = container.get_blob_client("disk0")
    disk.create_page_blob(size=8192, metadata={"disk": "0"})
    disk.upload_page(b"\x01" * 512, offset=512, length=512)
    properties = disk.get_blob_properties()
    expect(properties.size == 8192, f"size {properties.size}")
    expect(properties.blob_type == "PageBlob", properties.blob_type)
    expect(properties.metadata == {"disk": "0"}, properties.metadata)
    data = disk.download_blob(offset=0, length=1536).readall()
    expect(data == b"\x00" * 512 + b"\x01" * 512 + b"\x00" * 512, "page content")
    disk.resize_blob(16384)
    expect(disk.get_blob_properties().size == 16384, "resize")


@check("snapshot with metadata, and metadata copied without")
def _():
    disk = container.get_blob_client("disk0")
    tagged = disk.create_snapshot(metadata={"job": "42"})
    copied = disk.create_snapshot()
    for snapshot in (tagged, copied):
        expect(SNAPSHOT_TIME.match(snapshot["snapshot"]), snapshot["snapshot"])
    expect(copied["snapshot"] > tagged["snapshot"], "snapshot times increase")
    tagged_client = container.get_blob_client("disk0", snapshot=tagged["snapshot"])
    expect(tagged_client.get_blob_properties().metadata == {"job": "42"}, "only the given metadata")
    copied_client = container.get_blob_client("disk0", snapshot=copied["snapshot"])
    expect(copied_client.get_blob_properties().metadata == {"disk": "0"}, "base metadata copied")


@check("list snapshots (Shared Key and container SAS)")
def _():
    entries = [b for b in container.list_blobs(include=["snapshots", "metadata"]) if b.name == "disk0"]
    snapshots = [b.snapshot for b in entries if b.snapshot]
    expect(len(snapshots) == 2 and len(entries) == 3, f"entries {[(b.name, b.snapshot) for b in entries]}")
    expect(all(b.blob_type == "PageBlob" for b in entries), "blob types")
    token = generate_container_sas(
        ACCOUNT, CONTAINER, account_key=KEY, permission=ContainerSasPermissions(read=True, list=True),
        expiry=now() + datetime.timedelta(hours=1))
    by_sas = ContainerClient.from_container_url(f"{URL}/{ACCOUNT}/{CONTAINER}?{token}")
    listed = [(b.name, b.snapshot) for b in by_sas.list_blobs(include=["snapshots"]) if b.name == "disk0"]
    expect(len(listed) == 3, f"container SAS listing {listed}")


@check("upload (single put and blocks) and ranged download")
def _():
    payload = bytes(range(256)) * 100
    for name, data in (("small.bin", payload[:1000]), ("large.bin", payload)):
        client = container.get_blob_client(name)
        client.upload_blob(data, overwrite=True)
        expect(client.download_blob().readall() == data, f"{name} full download")
        expect(client.download_blob(offset=100, length=500).readall() == data[100:600], f"{name} ranged download")
    expect_raises(HttpResponseError, "InvalidRange",
                  lambda: container.get_blob_client("small.bin").download_blob(offset=5000, length=10).readall())


@check("conditional requests (If-Match 412, If-None-Match 304, overwrite=False 409)")
def _():
    client = container.get_blob_client("small.bin")
    etag = client.get_blob_properties().etag
    client.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified).readall()
    for unchanged in (
        lambda: client.get_blob_properties(etag=etag, match_condition=MatchConditions.IfModified),
        lambda: client.download_blob(etag=etag, match_condition=MatchConditions.IfModified).readall(),
    ):
        error = expect_raises(ResourceModifiedError, "ConditionNotMet", unchanged)
        expect(error.status_code == 304, f"If-None-Match answered {error.status_code}")
    client.upload_blob(b"changed", overwrite=True)
    expect_raises(ResourceModifiedError, "ConditionNotMet",
                  lambda: client.download_blob(etag=etag, match_condition=MatchConditions.IfNotModified).readall())
    expect_raises(ResourceExistsError, "BlobAlreadyExists", lambda: client.upload_blob(b"again", overwrite=False))


@check("append blob")
def _():
    client = container.get_blob_client("log.txt")
    client.create_append_blob()
    first = client.append_block(b"hello ")
    second = client.append_block(b"world")
    expect(int(first["blob_append_offset"]) == 0 and int(second["blob_append_offset"]) == 6, "append offsets")
    expect(second["blob_committed_block_count"] == 2, "block count")
    expect(client.download_blob().readall() == b"hello world", "appended content")


@check("block list (stage and commit out of order)")
def _():
    client = container.get_blob_client("blocks.bin")
    ids = [base64.b64encode(f"block-{i:03d}".encode()).decode() for i in range(3)]
    for block_id, data in zip(ids, (b"aaa", b"bbb", b"ccc")):
        client.stage_block(block_id, data)
    client.commit_block_list([ids[2], ids[0]])
    expect(client.download_blob().readall() == b"cccaaa", "committed order")
    client.stage_block(ids[1], b"BBB")
    client.commit_block_list([ids[0], ids[1], ids[2]])
    expect(client.download_blob().readall() == b"aaaBBBccc", "committed plus newly staged")


@check("delete with snapshots (409 SnapshotsPresent, only, include)")
def _():
    client = container.get_blob_client("doomed")
    client.create_page_blob(size=512)
    client.create_snapshot()
    expect_raises(ResourceExistsError, "SnapshotsPresent", client.delete_blob)
    client.delete_blob(delete_snapshots="only")
    expect([b.snapshot for b in container.list_blobs(name_starts_with="doomed", include=["snapshots"])] == [None],
           "only the base blob remains")
    client.create_snapshot()
    client.delete_blob(delete_snapshots="include")
    expect_raises(ResourceNotFoundError, "BlobNotFound", client.get_blob_properties)


@check("SAS failures raise the SDK's matching exceptions")
def _():
    hour = datetime.timedelta(hours=1)
    rw = BlobSasPermissions(read=True, write=True, create=True)
    good = blob_sas_url("disk0", permission=rw, expiry=now() + hour)
    BlobClient.from_blob_url(good).get_blob_properties()
    tampered = good.replace("sp=rcw", "sp=rcwd")
    expect(tampered != good, "tampering changed the URL")
    expect_raises(ClientAuthenticationError, "AuthenticationFailed",
                  lambda: BlobClient.from_blob_url(tampered).create_snapshot())
    expired = blob_sas_url("disk0", permission=rw, start=now() - 2 * hour, expiry=now() - hour)
    expect_raises(ClientAuthenticationError, "AuthenticationFailed",
                  lambda: BlobClient.from_blob_url(expired).create_snapshot())
    read_only = blob_sas_url("disk0", permission=BlobSasPermissions(read=True), expiry=now() + hour)
    expect_raises(HttpResponseError, "AuthorizationPermissionMismatch",
                  lambda: BlobClient.from_blob_url(read_only).create_snapshot())
    https_only = blob_sas_url("disk0", permission=rw, expiry=now() + hour, protocol="https")
    expect_raises(HttpResponseError, "AuthorizationProtocolMismatch",
                  lambda: BlobClient.from_blob_url(https_only).create_snapshot())
    other_ip = blob_sas_url("disk0", permission=rw, expiry=now() + hour, ip="10.20.30.40")
    expect_raises(HttpResponseError, "AuthorizationSourceIPMismatch",
                  lambda: BlobClient.from_blob_url(other_ip).create_snapshot())
    blob_only = blob_sas_url("disk0", permission=BlobSasPermissions(read=True), expiry=now() + hour)
    as_container = blob_only.replace("/disk0?", "?restype=container&comp=list&")
    refused = expect_raises(HttpResponseError, None, lambda: _raw("GET", as_container))
    expect(refused.status_code == 403, f"a blob SAS cannot list: {refused.status_code}")


@check("2014-02-14 SAS signed independently is accepted, including sigs with %2B %2F %3D")
def _():
    container.get_blob_client("legacy").create_page_blob(size=512)
    seen = set()
    for minutes in range(1, 400):
        expiry = iso(now() + datetime.timedelta(minutes=minutes))
        signature, url = legacy_sas("legacy", "rwc", expiry)
        marks = {c for c in "+/=" if c in signature}
        if not marks - seen and seen:
            continue
        seen |= marks
        for encoded, raw in (("%2B", "+"), ("%2F", "/"), ("%3D", "=")):
            expect((encoded in url) == (raw in signature), f"{raw} encoded as {encoded}")
        status, headers = _raw("PUT", url + "&comp=snapshot")
        expect(status == 201 and SNAPSHOT_TIME.match(headers["x-ms-snapshot"]), f"raw snapshot {status}")
        BlobClient.from_blob_url(url).create_snapshot()
        if seen == {"+", "/", "="}:
            break
    expect(seen == {"+", "/", "="}, f"signatures covered {sorted(seen)}")
    wrong_layout_digest = hmac.new(
        base64.b64decode(KEY),
        "\n".join(["rwc", "", iso(now() + datetime.timedelta(hours=1)), f"/blob/{ACCOUNT}/{CONTAINER}/legacy",
                   "", "", "", "2014-02-14", "", "", "", "", ""]).encode(),
        hashlib.sha256).digest()
    wrong = urllib.parse.urlencode({
        "sv": "2014-02-14", "sr": "b", "sp": "rwc", "se": iso(now() + datetime.timedelta(hours=1)),
        "sig": base64.b64encode(wrong_layout_digest).decode()})
    expect_raises(ClientAuthenticationError, "AuthenticationFailed",
                  lambda: BlobClient.from_blob_url(f"{URL}/{ACCOUNT}/{CONTAINER}/legacy?{wrong}").create_snapshot())


if failures:
    print(f"{len(failures)} check(s) failed: {', '.join(failures)}")
    sys.exit(1)
print("all conformance checks passed")
