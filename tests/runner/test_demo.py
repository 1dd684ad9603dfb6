"""The demo pipeline `make run` installs: created once, run once, successful at once."""

from __future__ import annotations

from tests.support import AK, Client, wait_for
from tidemill import demo
from tidemill.runtime import Runtime
from tidemill.services.accounts import find_key


def test_demo_pipeline_runs_to_a_successful_history(client: Client, runtime: Runtime) -> None:
    pair = find_key(runtime, AK)
    assert pair is not None

    demo.install(runtime, pair.account_id)
    demo.install(runtime, pair.account_id)  # a second `make run`: nothing twice, no error

    assert wait_for(client, "traffic_per_hour")["status"] == "Successful"
    child = wait_for(client, "busiest_hours")
    assert child["status"] == "Successful", child
    hourly = client.get("/v2/jobs/traffic_per_hour/history/1/result", params={"limit": "100"})
    busiest = client.get("/v2/jobs/busiest_hours/history/1/result").json()
    assert sum(row[1] for row in hourly.json()["rows"]) == 20_000  # every log line counted
    assert len(busiest["rows"]) == 5
    requests = [row[1] for row in busiest["rows"]]
    assert requests == sorted(requests, reverse=True)
    assert len(client.get("/v2/datasources").json()["datasources"]) == 1
    # the demo's logs are in its account's own bucket directory
    logs = runtime.settings.data_dir / "kodo" / pair.account / demo.BUCKET / "cdn"
    assert len(list(logs.iterdir())) == 1
