"""Shared helpers for the conformance scripts: failure reporting, JSON summaries, bounded waits.

Every script prints one JSON object on its last stdout line. On failure that object has
"ok": false and a "reason", and the script exits with status 1.
"""
import json
import sys
import time


class CheckFailed(Exception):
    """A conformance check did not hold; the message says what was expected and what came."""


def check(condition, reason):
    if not condition:
        raise CheckFailed(reason)


def log(message):
    print(message, file=sys.stderr, flush=True)


def wait_until(predicate, timeout_s, what, interval_s=0.2):
    """Polls predicate() until it returns a truthy value; fails after timeout_s seconds."""
    deadline = time.monotonic() + timeout_s
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - the client may raise while the cluster settles
            last_error = error
        time.sleep(interval_s)
    suffix = f" (last error: {last_error})" if last_error else ""
    raise CheckFailed(f"timed out after {timeout_s}s waiting for {what}{suffix}")


def run(main):
    """Runs main() -> dict and prints the summary line; exits 1 with a reason on any failure."""
    started = time.monotonic()
    try:
        summary = main()
    except CheckFailed as failure:
        print(json.dumps({"ok": False, "reason": str(failure)}), flush=True)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - any client error is a conformance failure
        print(json.dumps({"ok": False, "reason": f"{type(error).__name__}: {error}"}), flush=True)
        sys.exit(1)
    summary = dict(summary)
    summary["ok"] = True
    summary["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(summary, sort_keys=True), flush=True)
    sys.exit(0)


def unique_name(prefix):
    return f"{prefix}-{int(time.time() * 1000) % 100000000}"
