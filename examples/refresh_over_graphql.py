"""Refresh views from another program: launch a Dagster job over its GraphQL API and wait.

What a program that called the old `POST /sync/on-order-event` does now, with the Dagster
GraphQL Python client (`dagster-graphql`, installed with dagster-webserver):

    python examples/refresh_over_graphql.py --url http://127.0.0.1:3000 \\
        --downstream-of transactions/orders        # the views that read the orders table
    python examples/refresh_over_graphql.py --select-asset analytics/mv_store_performance
    python examples/refresh_over_graphql.py --job refresh_retail_hourly   # a whole job

The job (default `refresh_views`, every view) runs restricted to the selected assets, as a
materialization of those assets in the UI does; no selection runs the whole job. The script
prints the run id, polls until the run ends, prints its final status and exits 0 on SUCCESS,
1 otherwise (failure, cancellation, timeout, or a launch the server refused). See
docs/graphql.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from dagster import AssetKey, DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError
from gql.transport.exceptions import TransportConnectionFailed, TransportServerError

DEFAULT_JOB = "refresh_views"
TRIGGER_TAG = "analytics/trigger"
TERMINAL = frozenset({DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED})
REQUEST_TIMEOUT_SECONDS = 30

ASSET_GRAPH_QUERY = """
query AnalyticsAssetGraph {
  assetNodes { assetKey { path } dependedByKeys { path } jobNames }
}
"""


class RefreshError(Exception):
    """Why no run could be launched or followed, in words for the caller."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000",
                        help="the Dagster webserver (make dev: http://127.0.0.1:3000)")
    parser.add_argument("--job", default=DEFAULT_JOB, help=f"the job to run (default {DEFAULT_JOB})")
    parser.add_argument("--select-asset", dest="assets", nargs="+", action="extend", default=[],
                        metavar="KEY", help="refresh only these assets of the job, keys as the UI "
                                            "shows them: <schema>/<view>")
    parser.add_argument("--downstream-of", dest="roots", nargs="+", action="extend", default=[],
                        metavar="KEY", help="refresh the job's assets downstream of these "
                                            "(e.g. a source table: transactions/orders)")
    parser.add_argument("--tag", dest="tags", action="append", default=[], metavar="KEY=VALUE",
                        help=f"a tag for the run (default {TRIGGER_TAG}=graphql)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for the run to end (default 600)")
    parser.add_argument("--poll-interval", type=float, default=2, help="seconds between polls")
    args = parser.parse_args(argv)
    for tag in args.tags:
        if "=" not in tag:
            parser.error(f"--tag {tag!r}: use KEY=VALUE")
    return args


def graphql_url(url: str) -> str:
    return url.rstrip("/") + "/graphql"


def make_client(url: str) -> DagsterGraphQLClient:
    """The client for `url` (scheme, host, port and an optional path prefix)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefreshError(f"--url {url!r}: expected http(s)://host[:port][/prefix]")
    return DagsterGraphQLClient(
        parts.hostname,
        port_number=parts.port,
        use_https=parts.scheme == "https",
        path_prefix=parts.path.rstrip("/"),
        timeout=REQUEST_TIMEOUT_SECONDS,
    )


def explain(error: DagsterGraphQLClientError, url: str) -> str:
    """The client's error in one line: unreachable server, HTTP error, or Dagster's answer."""
    cause = error.__cause__
    # gql wraps what requests raised (refused, timed out) in TransportConnectionFailed.
    root = cause.__cause__ if isinstance(cause, TransportConnectionFailed) else cause
    if isinstance(root, requests.exceptions.Timeout):
        return f"no answer from {graphql_url(url)} within {REQUEST_TIMEOUT_SECONDS} s"
    if isinstance(cause, TransportConnectionFailed | requests.exceptions.ConnectionError):
        return f"cannot reach Dagster at {graphql_url(url)}: is the webserver (make dev) running?"
    if isinstance(cause, TransportServerError):
        return f"HTTP {cause.code} from {graphql_url(url)}: is this a Dagster webserver?"
    if cause is not None:
        return f"{graphql_url(url)}: {type(cause).__name__}: {cause}"
    return ": ".join(str(arg) for arg in error.args)


def fetch_asset_graph(url: str) -> list[dict[str, Any]]:
    """Every asset node: its key, the keys reading it and the jobs it is in."""
    try:
        response = requests.post(graphql_url(url), json={"query": ASSET_GRAPH_QUERY},
                                 timeout=REQUEST_TIMEOUT_SECONDS)
        response.raise_for_status()
        body = response.json()
    except requests.exceptions.ConnectionError as exc:
        raise RefreshError(f"cannot reach Dagster at {graphql_url(url)}: "
                           "is the webserver (make dev) running?") from exc
    except (requests.exceptions.RequestException, ValueError) as exc:
        raise RefreshError(f"{graphql_url(url)}: {exc}") from exc
    if body.get("errors"):
        raise RefreshError(f"{graphql_url(url)}: {body['errors'][0].get('message')}")
    return list(body["data"]["assetNodes"])


def _key(node_key: Mapping[str, Any]) -> AssetKey:
    return AssetKey(list(node_key["path"]))


def resolve_selection(nodes: Iterable[Mapping[str, Any]], job: str, assets: Sequence[str],
                      roots: Sequence[str]) -> list[AssetKey]:
    """The job's assets named in `assets`, plus those downstream of any of `roots`."""
    nodes = list(nodes)
    in_job = {_key(n["assetKey"]) for n in nodes if job in (n.get("jobNames") or [])}
    if not in_job:
        raise RefreshError(f"no job named {job!r} has assets on this server")
    known = {_key(n["assetKey"]) for n in nodes}
    readers = {_key(n["assetKey"]): [_key(k) for k in n["dependedByKeys"]] for n in nodes}

    selected: set[AssetKey] = set()
    for text in assets:
        key = AssetKey.from_user_string(text)
        if key not in in_job:
            raise RefreshError(f"{text!r} is not an asset of job {job!r}"
                               + ("" if key in known else " (no asset has that key)"))
        selected.add(key)
    for text in roots:
        root = AssetKey.from_user_string(text)
        if root not in known:
            raise RefreshError(f"--downstream-of {text!r}: no asset has that key")
        pending, seen = [root], {root}
        while pending:
            for reader in readers.get(pending.pop(), []):
                if reader not in seen:
                    seen.add(reader)
                    pending.append(reader)
        found = seen & in_job
        if not found:
            raise RefreshError(f"--downstream-of {text!r}: job {job!r} has no asset downstream of it")
        selected |= found
    return sorted(selected, key=AssetKey.to_user_string)


def launch(client: DagsterGraphQLClient, job: str, assets: Sequence[AssetKey] | None,
           tags: Mapping[str, str]) -> str:
    """Submit the job (restricted to `assets` when given); returns the run id."""
    return client.submit_job_execution(job, tags=dict(tags), asset_selection=assets or None)


def wait_for_run(client: DagsterGraphQLClient, run_id: str, timeout: float,
                 poll_interval: float) -> DagsterRunStatus:
    """Poll the run's status until it ends or `timeout` passes; returns the last status."""
    deadline = time.monotonic() + timeout
    status = client.get_run_status(run_id)
    while status not in TERMINAL and time.monotonic() < deadline:
        time.sleep(poll_interval)
        status = client.get_run_status(run_id)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tags = {TRIGGER_TAG: "graphql", **dict(t.split("=", 1) for t in args.tags)}
    try:
        client = make_client(args.url)
        assets: list[AssetKey] | None = None
        if args.assets or args.roots:
            assets = resolve_selection(fetch_asset_graph(args.url), args.job, args.assets, args.roots)
            print(f"assets: {', '.join(k.to_user_string() for k in assets)}", flush=True)
        run_id = launch(client, args.job, assets, tags)
        print(f"run id: {run_id} ({args.url.rstrip('/')}/runs/{run_id})", flush=True)
        status = wait_for_run(client, run_id, args.timeout, args.poll_interval)
    except DagsterGraphQLClientError as exc:
        print(f"error: {explain(exc, args.url)}", file=sys.stderr)
        return 1
    except RefreshError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if status not in TERMINAL:
        print(f"status: {status.value} (still running after {args.timeout:.0f} s; "
              "the run goes on in Dagster)", flush=True)
        return 1
    print(f"status: {status.value}", flush=True)
    return 0 if status == DagsterRunStatus.SUCCESS else 1


if __name__ == "__main__":
    sys.exit(main())
