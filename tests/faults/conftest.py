"""Fault-injection helpers: a server process we can SIGKILL and restart, and a TCP proxy we can cut.

- ``ServerProcess`` — uvicorn serving a database file (SQLite) or the PostgreSQL test database on a
  fixed loopback port, so a restarted server answers at the same address; ``kill()`` is SIGKILL.
- ``TcpProxy`` — forwards a loopback port to a real service (Redis, PostgreSQL) from its own thread
  (so it keeps forwarding while a test blocks); ``stop()`` cuts every connection and refuses new
  ones, the way a crashed service looks from the server; ``start()`` serves again on the same port.
- ``require(service)`` — skip when Redis/PostgreSQL is unreachable, except in CI (``CI=true``) where
  that is a failure, like ``tests/scale``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.support.live_server import ROOT, server_env
from tests.support.smtp import free_port

REDIS_URL = os.environ.get("HAULPORT_TEST_REDIS", "redis://127.0.0.1:6379/0")


def require(what: str, problem: str | None) -> None:
    """Skip (or, in CI, fail) when a service the test needs is not there."""
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{what} is required in CI: {problem}")
        pytest.skip(f"{what} not reachable ({problem})")


def redis_problem(url: str = REDIS_URL) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return None
    except Exception as exc:  # any failure to talk to it means: no Redis here
        return f"{type(exc).__name__}: {exc}"


def with_port(url: str, port: int, host: str = "127.0.0.1") -> str:
    """``url`` with its host:port replaced (keeps user, path and query)."""
    parts = urlsplit(url)
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{user}{host}:{port}"))


def host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


class ServerProcess:
    """One ``uvicorn`` process on a fixed port; start it again after ``kill()`` and it is the same server."""

    def __init__(self, database_url: str, log_path: Path, **extra: str):
        self.database_url, self.log_path, self.extra = database_url, log_path, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    async def start(self, timeout: float = 30.0) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.starts += 1
        log = open(self.log_path, "ab")
        log.write(f"\n--- start #{self.starts} ---\n".encode())
        log.flush()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "server.app:app_from_environment",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=server_env(self.database_url, self.port, **self.extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=1) as http:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
                try:
                    if (await http.get(f"{self.url}/api/public/tenants/demo")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start within {timeout} s:\n{self.log()[-3000:]}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no rollback, no goodbye."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"the server did not stop within 10 s of SIGTERM:\n{self.log()[-3000:]}") from None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class TcpProxy:
    """Loopback port → ``target``; ``stop()`` makes the service look dead, ``start()`` brings it back."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-proxy", daemon=True)
        self.thread.start()
        self.server: asyncio.base_events.Server | None = None
        self.transports: set[asyncio.BaseTransport] = set()
        self.handlers: set[asyncio.Task] = set()

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def start(self) -> None:
        self._run(self._start())

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        if self.loop.is_running():
            self._run(self._stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
        self.loop.close()

    @property
    def up(self) -> bool:
        return self.server is not None

    async def _start(self) -> None:
        if self.server is None:
            self.server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)

    async def _stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for transport in list(self.transports):
            transport.abort()  # a reset, as when the service's process dies
        self.transports.clear()
        if self.handlers:
            _done, pending = await asyncio.wait(list(self.handlers), timeout=5)
            for task in pending:
                task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.handlers.add(task)
        task.add_done_callback(self.handlers.discard)
        if self.server is None:  # accepted just as the proxy stopped
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, up_writer.transport}
        if self.server is None:  # stopped while we connected upstream
            for transport in pair:
                transport.abort()
            return
        self.transports |= pair

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (OSError, ConnectionError):
                pass
            finally:
                sink.transport.abort()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self.transports -= pair


@pytest.fixture
def start_server(tmp_path):
    """``await start_server(database_url, **HAULPORT_env)`` → a running ``ServerProcess``, stopped after the test."""
    made: list[ServerProcess] = []

    async def start(database_url: str, **extra: str) -> ServerProcess:
        server = ServerProcess(database_url, tmp_path / f"server-{len(made)}.log", **extra)
        made.append(server)
        await server.start()
        return server

    yield start
    for server in made:
        server.stop()
