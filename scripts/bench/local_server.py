"""What the sync benchmarks share: the machine they ran on, a uvicorn server process, session tokens."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def machine() -> str:
    """CPU model, cores, OS and Python, for the record next to every figure."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def load() -> str:
    """The 1-, 5- and 15-minute load averages: other work on the machine inflates latencies."""
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


class Served:
    """A running server: its URL, and the CPU time its processes have used (robust on a busy machine)."""

    def __init__(self, url: str, pid: int):
        self.url, self.pid = url, pid

    def pids(self) -> list[int]:
        """The server's process and its workers (its children)."""
        out = [self.pid]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int(_stat(int(entry.name))[1]) == self.pid:
                        out.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    pass
        return out

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the server's processes so far (workers included)."""
        total = 0
        for pid in self.pids():
            try:
                fields = _stat(pid)
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")


def server_command(port: int, server: str = "uvicorn", workers: int = 1) -> list[str]:
    """The command line serving the app: uvicorn (as ``haulport serve``) or granian, with ``workers``."""
    if server == "granian":
        return [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--loop",
            "uvloop",
            "--log-level",
            "warning",
            "--no-access-log",
            "--backlog",
            "16384",
            "server.app:served_app",
        ]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "server.app:app_from_environment",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
        "--backlog",
        "16384",
        "--timeout-graceful-shutdown",
        "3",  # then open sockets are closed (a restart must not wait for every client to leave)
    ]


@contextmanager
def running_server(
    database_url: str, server: str = "uvicorn", workers: int = 1, port: int | None = None, **settings: str
) -> Iterator[Served]:
    """A ``haulport serve``-like process (``server`` uvicorn or granian, ``workers`` workers, not in dev mode)
    on a free port until the block ends."""
    port = port or free_port()
    env = dict(
        os.environ,
        HAULPORT_DATABASE_URL=database_url,
        HAULPORT_SECRET_KEY=SECRET,
        HAULPORT_DEV_MODE="false",
        HAULPORT_PUBLIC_URL=f"http://127.0.0.1:{port}",
        HAULPORT_CONFIG=str(ROOT / "litestar.toml"),
        **{f"HAULPORT_{k.upper()}": v for k, v in settings.items()},
    )
    proc = subprocess.Popen(
        server_command(port, server, workers),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(
            proc,
            f"{base}/api/public/tenants/demo",
            "the server",
            lambda: proc.stderr.read().decode()[-2000:],
            ok=(200, 404),
        )
        yield Served(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_until_answering(
    proc: subprocess.Popen,
    url: str,
    name: str,
    last_words: Callable[[], str],
    ok: tuple[int, ...] = (200,),
    timeout: float = 60,
) -> None:
    """Poll ``url`` until it answers one of ``ok``; raise if ``proc`` exits first or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited: {last_words()}")
        try:
            if httpx.get(url, timeout=1).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start within {timeout:.0f} s")
        time.sleep(0.1)


async def migrate(database_url: str) -> None:
    """``haulport migrate`` in a process of its own (piccolo keeps one engine per process)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "migrate",
        "--database-url",
        database_url,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, err = await proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"migration failed: {err.decode()[-2000:]}")


def session_token(person_id: str, kind: str, tenant_id: str, version: int = 1) -> str:
    """A 7-day session for a person, signed with the benchmark server's key (no magic link needed)."""
    from server.auth.tokens import issue

    token, _ = issue(SECRET, "session", person_id, kind, tenant_id, version, 7 * 86400)
    return token
