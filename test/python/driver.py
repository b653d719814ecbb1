"""Drives the original CronAPIClient (seed_client.py, copied verbatim) against a running server.

usage: python3 driver.py BASE_URL
Prints one JSON object with every call's result; seed-client.test.ts checks it.
"""
import json
import sys
import time

import requests

from seed_client import CronAPIClient


def http_error(call):
    """Runs call, which must raise requests.HTTPError (raise_for_status); returns status and body."""
    try:
        call()
    except requests.HTTPError as err:
        return {"status": err.response.status_code, "body": err.response.json()}
    raise AssertionError("expected an HTTP error")


def main(base_url):
    client = CronAPIClient(base_url=base_url)
    out = {}
    out["health"] = client.health()
    out["status_before"] = client.status()
    out["stop_while_stopped"] = http_error(client.stop)
    out["start"] = client.start(interval_seconds=60)
    out["status_running"] = client.status()
    out["start_again"] = http_error(lambda: client.start(interval_seconds=60))
    out["start_too_short"] = http_error(lambda: client.start(interval_seconds=0))

    # Bounded poll for the run at start to finish.
    deadline = time.monotonic() + 20
    while "Pipeline execution finished" not in client.get_logs()["logs"]:
        if time.monotonic() > deadline:
            raise AssertionError("the first run did not finish in 20 s")
        time.sleep(0.05)

    out["get_logs"] = client.get_logs()
    out["get_logs_5"] = client.get_logs(lines=5)
    out["tail_logs_default"] = client.tail_logs()
    out["tail_logs_3"] = client.tail_logs(lines=3)
    out["stop"] = client.stop()
    out["status_stopped"] = client.status()
    out["clear_logs"] = client.clear_logs()
    out["get_logs_after_clear"] = client.get_logs()
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
