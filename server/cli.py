"""The ``haulport`` command: serve, migrate, seed-demo, client, compact."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from server.settings import SettingsError, load_settings


def migrate(database_url: str | None = None) -> None:
    """Run piccolo migrations forward on the configured database."""
    settings = load_settings(**({"database_url": database_url} if database_url else {}))
    os.environ["HAULPORT_DATABASE_URL"] = settings.database_url
    os.environ["PICCOLO_CONF"] = "server.db.piccolo_conf"
    if not settings.is_postgres:
        os.makedirs(os.path.dirname(os.path.abspath(settings.database_url.removeprefix("sqlite:///"))), exist_ok=True)
    import importlib

    from piccolo.apps.migrations.commands.forwards import run_forwards

    import server.db.piccolo_conf as conf

    importlib.reload(conf)  # pick up the URL chosen above
    result = asyncio.run(run_forwards(app_name="haulport", migration_id="all", fake=False))
    if not result.success:
        raise SystemExit(f"migration failed: {result.message}")
    if not settings.is_postgres:
        import sqlite3

        with sqlite3.connect(settings.database_url.removeprefix("sqlite:///")) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


def serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    from server.settings import check_for_serving

    settings = load_settings()
    check_for_serving(settings)
    if workers > 1 and not settings.is_postgres:
        print("note: several workers on SQLite share one database file (writes are serialised)", file=sys.stderr)
    uvicorn.run("server.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level="warning", proxy_headers=True)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        # The client has its own options (``--db`` before the command), which REMAINDER cannot pass through.
        from sync.client.cli import main as client_main

        client_main(argv[1:])
        return
    parser = argparse.ArgumentParser(prog="haulport", description="Haulport customer portal and sync hub")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the API and the portal")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--workers", type=int, default=1)
    p_mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    p_mig.add_argument("--database-url", default=None)
    sub.add_parser("seed-demo", help="load the demo data (idempotent)")
    p_client = sub.add_parser("client", help="the Python sync client (see `haulport client --help`)")
    p_client.add_argument("client_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            serve(args.host, args.port, args.workers)
        elif args.command == "migrate":
            migrate(args.database_url)
        elif args.command == "seed-demo":
            from server.seed.demo import seed_demo

            summary = asyncio.run(seed_demo(load_settings()))
            print(summary)
        elif args.command == "client":
            from sync.client.cli import main as client_main

            client_main(args.client_args)
    except SettingsError as exc:
        raise SystemExit(f"haulport: {exc}") from None


if __name__ == "__main__":
    main()
