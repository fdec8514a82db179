"""A real server process (uvicorn) on a free loopback port, for browser and multi-process tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-test-secret-key-0123456789-abcdefgh"


def server_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HAULPORT_DATABASE_URL": database_url,
            "HAULPORT_DEV_MODE": "true",
            "HAULPORT_SECRET_KEY": SECRET,
            "HAULPORT_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HAULPORT_STATIC_DIR": str(ROOT / "client_pwa" / "dist"),
            "HAULPORT_MAGIC_LINK_PER_ADDRESS": "1000",
            "HAULPORT_MAGIC_LINK_PER_IP": "100000",
            "HAULPORT_CONFIG": str(ROOT / "litestar.toml"),
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextmanager
def running_server(
    database_url: str, port: int | None = None, log_path: Path | None = None, **extra: str
) -> Iterator[str]:
    """Serve ``database_url`` (already migrated) until the block ends; yields the base URL."""
    port = port or free_port()
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "server.app:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(database_url, port, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} (log: {log_path})")
            try:
                if httpx.get(f"{base}/api/public/tenants/demo", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log_path:
            log.close()


def copy_sqlite(template: str, target: Path) -> str:
    """A private copy of a migrated SQLite database; returns its URL."""
    shutil.copy(template, target)
    return f"sqlite:///{target}"
