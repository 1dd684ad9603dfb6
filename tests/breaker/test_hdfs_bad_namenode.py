"""A namenode an hdfs:// path cannot name (a bad port, a broken IPv6 address, user info) is the
user's mistake: 400 naming the path, never a 500 from the URL parser (storage.hdfs_uris)."""

from __future__ import annotations

import pytest

from tests.support import Client


@pytest.mark.parametrize(
    "path",
    ["hdfs://127.0.0.1:99999/x/", "hdfs://[::1/x/", "hdfs://host:abc/x/", "hdfs://u@host:1/x/"],
)
def test_a_bad_namenode_is_a_400_naming_the_path(client: Client, path: str) -> None:
    spec = {"paths": [path], "fileType": "json"}
    body = {
        "region": "nb",
        "type": "hdfs",
        "spec": spec,
        "schema": [{"key": "n", "valtype": "long"}],
    }
    for response in [client.post("/v2/schemas", {"type": "hdfs", "spec": spec}),
                     client.post("/v2/datasources/far", body)]:  # fmt: skip
        assert response.status_code == 400, response.text
        assert path in response.json()["error"], response.text
