"""``haulport client …``: the Python sync client from the shell.

haulport client --db ava.db login --url http://127.0.0.1:8000 --email ava@example.com --tenant demo
haulport client --db ava.db queue message.send --args '{"id": "…", "body": "Hi!", "account_id": "…"}'
haulport client --db ava.db sync
haulport client --db ava.db show job
haulport client --db ava.db pending
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from sync.client.remote import Backoff, PullReport, PushReport, SyncClient, SyncError
from sync.client.replica import Replica, ReplicaError
from sync.rules import Rejected

DEFAULT_DB = os.environ.get("HAULPORT_CLIENT_DB", str(Path.home() / ".haulport" / "client.db"))
LABELS = ("number", "rental_number", "name", "label", "code", "title", "body")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="haulport client",
        description="Keep a local replica of a Haulport portal in sync, and queue changes while offline.",
    )
    parser.add_argument("--db", default=DEFAULT_DB, help=f"the replica file (default {DEFAULT_DB})")
    parser.add_argument("--attempts", type=int, default=5, help="tries per request before giving up (default 5)")
    sub = parser.add_subparsers(dest="command", required=True)
    login = sub.add_parser("login", help="log in with a link token, or (dev mode) by email")
    login.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    login.add_argument("--token", help="the token from a login link (…/login?token=…)")
    login.add_argument("--email", help="dev mode: pick the login link up from the server's outbox")
    login.add_argument("--tenant", help="the portal's slug, with --email (e.g. demo)")
    sub.add_parser("pull", help="fetch what changed on the server")
    sub.add_parser("push", help="send queued mutations")
    sub.add_parser("sync", help="push, then pull")
    queue = sub.add_parser("queue", help="queue a mutation (sent by the next push or sync)")
    queue.add_argument("name", help="e.g. job.book, message.send, site.upsert")
    queue.add_argument("--args", default="{}", help="the mutation's arguments as JSON")
    show = sub.add_parser("show", help="rows per entity, or the rows of one entity")
    show.add_argument("entity", nargs="?")
    show.add_argument("--json", action="store_true", help="one JSON row per line")
    show.add_argument("--server", action="store_true", help="the server's snapshot, without pending changes")
    sub.add_parser("pending", help="mutations waiting to be sent, and what they do locally")
    return parser


def _say_push(report: PushReport) -> None:
    if not report.sent and not report.rejected:
        print("Nothing to push.")
        return
    print(
        f"Pushed {report.sent} mutation(s): {report.applied} applied, {report.skipped} already applied, "
        f"{len(report.rejected)} rejected."
    )
    for r in report.rejected:
        print(f"  #{r['id']} {r['name']} was rejected ({r.get('code')}): {r.get('message')}")


def _say_pull(report: PullReport, replica: Replica) -> None:
    total = sum(replica.counts(optimistic=False).values())
    what = "a full snapshot" if report.reset else f"{report.changes} change(s)"
    print(f"Pulled {what} in {report.pages} page(s); the replica holds {total} row(s).")


def _label(entity: str, row: dict[str, Any]) -> str:
    parts = [entity]
    for key in LABELS:
        if row.get(key):
            text = str(row[key]).replace("\n", " ")
            parts.append(text if len(text) <= 60 else text[:57] + "…")
            break
    for key in ("status", "scheduled_date", "condition", "balance"):
        if key in row and row[key] not in (None, ""):
            parts.append(f"{key}={row[key]}")
    parts.append(f"({row['id']})")
    return "  ".join(parts)


def _show(replica: Replica, entity: str | None, as_json: bool, server: bool) -> None:
    if entity is None:
        counts = replica.counts(optimistic=not server)
        if not counts:
            print("The replica is empty: run `haulport client pull`.")
        for name, count in counts.items():
            print(f"{name:20} {count}")
        return
    rows = replica.snapshot(entity) if server else replica.view(entity)
    if not rows:
        print(f"No {entity} rows.")
    for row in rows:
        print(json.dumps(row, sort_keys=True) if as_json else _label(entity, row))


def _pending(replica: Replica) -> None:
    waiting = replica.pending()
    if not waiting:
        print("Nothing is waiting to be sent.")
        return
    outcomes = {o.id: o for o in replica.refresh(force=True)}
    print(f"{len(waiting)} mutation(s) waiting to be sent:")
    for m in waiting:
        outcome = outcomes.get(m.id)
        local = (
            ""
            if outcome is None
            else "; shown locally"
            if outcome.error is None
            else f"; locally it would be rejected ({outcome.error.code}: {outcome.error.message})"
        )
        print(f"  #{m.id} {m.name} {json.dumps(m.args, sort_keys=True)}, queued {m.created_at}{local}")


async def _run(args: argparse.Namespace, transport: httpx.AsyncBaseTransport | None) -> None:
    replica = Replica(args.db)
    try:
        if args.command == "queue":
            try:
                payload = json.loads(args.args)
            except json.JSONDecodeError as exc:
                raise SyncError("bad_args", f"--args is not valid JSON: {exc}") from None
            if not isinstance(payload, dict):
                raise SyncError("bad_args", "--args must be a JSON object")
            mutation_id = replica.queue(args.name, payload)
            print(f"Queued {args.name} as mutation #{mutation_id}; `haulport client sync` sends it.")
            return
        if args.command == "show":
            _show(replica, args.entity, args.json, args.server)
            return
        if args.command == "pending":
            _pending(replica)
            return
        url = args.url if args.command == "login" else replica.base_url
        if url is None:
            raise SyncError("not_logged_in", "log in first: haulport client login --url URL --token TOKEN")
        backoff = Backoff(attempts=max(1, args.attempts))
        async with SyncClient(replica, url, transport=transport, backoff=backoff) as client:
            if args.command == "login":
                if args.token:
                    actor = await client.login_with_link_token(args.token)
                elif args.email and args.tenant:
                    actor = await client.login_with_email(args.email, args.tenant)
                else:
                    raise SyncError("bad_args", "give --token, or --email with --tenant")
                accounts = ", ".join(a.name for a in actor.accounts.values()) or "none"
                print(f"Logged in to {url} as {actor.name} ({actor.role.replace('_', ' ')}); accounts: {accounts}.")
            elif args.command == "push":
                _say_push(await client.push())
            elif args.command == "pull":
                _say_pull(await client.pull(), replica)
            elif args.command == "sync":
                pushed, pulled = await client.sync()
                _say_push(pushed)
                _say_pull(pulled, replica)
    finally:
        replica.close()


def main(argv: list[str] | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
    """Run one client command; exits with status 1 (and says why) when it fails."""
    args = _parser().parse_args(argv)
    try:
        asyncio.run(_run(args, transport))
    except Rejected as exc:
        print(f"Not queued ({exc.code}): {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None
    except SyncError as exc:
        print(f"Failed ({exc.code}): {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None
    except ReplicaError as exc:
        print(f"Failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
