"""The ``haulport`` command: serve, migrate, tenant, import, export, seed-demo, client.

`build_parser` is the one list of commands and options; README.md's command table is checked against
it (tests/unit/test_readme_tables.py)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from server.settings import SettingsError, load_settings


def migrate(database_url: str | None = None) -> None:
    """Run piccolo migrations forward on the configured database."""
    settings = load_settings(database_url=database_url) if database_url else load_settings()
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


def serve(host: str, port: int, workers: int, server: str = "granian") -> None:
    """Serve with granian (measured ahead of uvicorn under sustained load: scripts/bench/sustained.py),
    or uvicorn with ``--server uvicorn``."""
    from server.settings import check_for_serving

    settings = load_settings()
    check_for_serving(settings)
    if workers > 1 and not settings.is_postgres:
        print("note: several workers on SQLite share one database file (writes are serialised)", file=sys.stderr)
    if workers > 1 and not settings.redis_url:
        print("note: several workers need HAULPORT_REDIS_URL for live updates to reach every socket", file=sys.stderr)
    if server == "uvicorn":
        import uvicorn

        uvicorn.run(
            "server.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=True,
            backlog=16384,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels

    Granian(
        "server.app:served_app",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        loop=Loops.uvloop,
        log_level=LogLevels.warning,
        backlog=16384,  # a restart's reconnecting sockets arrive together (the kernel caps it at somaxconn)
    ).serve()


async def _tenant_id(db, slug: str) -> str:
    async with db.read() as conn:
        tenant_id = await conn.fetchval("SELECT id FROM tenant WHERE slug = ?", slug)
    if tenant_id is None:
        raise SystemExit(f"haulport: --tenant: no tenant called {slug!r} (see `haulport tenant list`)")
    return tenant_id


async def _import(slug: str, kind: str, path: str, dry_run: bool) -> None:
    from server.dataio.importer import ImportRefused, import_rows
    from server.db.engine import Database

    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise SystemExit(f"haulport: {path}: {exc.strerror}") from None
    db = Database(load_settings().database_url)
    await db.start()
    try:
        result = await import_rows(db, await _tenant_id(db, slug), kind, data, filename=path, dry_run=dry_run)
    except ImportRefused as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        raise SystemExit(f"haulport: {path}: refused, nothing was written ({len(exc.errors)} problem(s))") from None
    finally:
        await db.close()
    print(result.sentence() + (" (dry run: nothing was written)" if dry_run else ""))


async def _export(slug: str, kind: str, fmt: str, out) -> None:
    from server.dataio.exporter import as_csv, as_jsonl, export_records
    from server.db.engine import Database

    db = Database(load_settings().database_url)
    await db.start()
    try:
        records = await export_records(db, await _tenant_id(db, slug), kind)
    finally:
        await db.close()
    for chunk in as_csv(kind, records) if fmt == "csv" else as_jsonl(records):
        out.write(chunk)


def _tenant_command(args) -> None:
    from server.tenants import OnboardingError, create_tenant, list_tenants

    settings = load_settings()
    if args.tenant_command == "list":
        rows = asyncio.run(list_tenants(settings))
        if not rows:
            print("no tenants yet: `haulport tenant create --slug S --name N --admin-email E`")
        for row in rows:
            print(
                f"{row['slug']}\t{row['name']}\t{row['currency']}\t{row['timezone']}\t"
                f"{row['admins']} admin(s)\t{row['accounts']} account(s)"
            )
        return
    from server.settings import check_notify_urls

    check_notify_urls(settings)  # the admin's link must go to the admin, not to a fixed address
    try:
        made = asyncio.run(
            create_tenant(
                settings, args.slug, args.name, args.admin_email, args.admin_name or "", args.currency, args.timezone
            )
        )
    except OnboardingError as exc:
        raise SystemExit(f"haulport: {exc}") from None
    tenant, admin = made["tenant"], made["admin"]
    print(f"created tenant {tenant['slug']} ({tenant['name']}) with admin {admin['email']}")
    if made["delivery"] == "sent":
        print(f"a login link was emailed to {admin['email']}")
    else:
        if made["delivery"] == "failed":
            print("the email provider did not take the login link; give the admin this link instead:", file=sys.stderr)
        elif not settings.dev_mode:
            print("no email provider is configured (notify_email_url); give the admin this link:", file=sys.stderr)
        print(f"login link: {made['link']}")


def build_parser() -> argparse.ArgumentParser:
    """Every ``haulport`` command and its options."""
    parser = argparse.ArgumentParser(prog="haulport", description="Haulport customer portal and sync hub")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the API and the portal")
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_serve.add_argument("--workers", type=int, default=1)
    p_serve.add_argument("--server", choices=("granian", "uvicorn"), default="granian")
    p_mig = sub.add_parser("migrate", help="create or upgrade the database schema")
    p_mig.add_argument("--database-url", default=None)
    p_tenant = sub.add_parser("tenant", help="create or list tenants (businesses)")
    tenant_sub = p_tenant.add_subparsers(dest="tenant_command", required=True)
    p_create = tenant_sub.add_parser("create", help="create a tenant and its first admin, and send the login link")
    p_create.add_argument("--slug", required=True, help="the portal's address: /t/SLUG/")
    p_create.add_argument("--name", required=True, help="the business's name")
    p_create.add_argument("--admin-email", required=True)
    p_create.add_argument("--admin-name", default="")
    p_create.add_argument("--currency", default="USD")
    p_create.add_argument("--timezone", default="UTC")
    tenant_sub.add_parser("list", help="the tenants of this database")
    from server.dataio.kinds import EXPORT_KINDS, IMPORT_KINDS

    p_import = sub.add_parser("import", help="import records from CSV or JSON lines (all or nothing)")
    p_import.add_argument("--tenant", required=True, help="the tenant's slug")
    p_import.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p_import.add_argument("kind", choices=IMPORT_KINDS)
    p_import.add_argument("file")
    p_export = sub.add_parser("export", help="export records as CSV or JSON lines (to standard output)")
    p_export.add_argument("--tenant", required=True, help="the tenant's slug")
    p_export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p_export.add_argument("kind", choices=EXPORT_KINDS)
    sub.add_parser("seed-demo", help="load the demo data (idempotent)")
    p_client = sub.add_parser("client", help="the Python sync client (see `haulport client --help`)")
    p_client.add_argument("client_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        # The client has its own options (``--db`` before the command), which REMAINDER cannot pass through.
        from sync.client.cli import main as client_main

        client_main(argv[1:])
        return
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            serve(args.host, args.port, args.workers, args.server)
        elif args.command == "migrate":
            migrate(args.database_url)
        elif args.command == "tenant":
            _tenant_command(args)
        elif args.command == "import":
            asyncio.run(_import(args.tenant, args.kind, args.file, args.dry_run))
        elif args.command == "export":
            asyncio.run(_export(args.tenant, args.kind, args.format, sys.stdout))
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
