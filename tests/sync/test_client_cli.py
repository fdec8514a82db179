"""``haulport client …`` against a real server process, the way a person would use it."""

from __future__ import annotations

import json
import uuid

import pytest

from server.cli import main
from server.seed.demo import sid
from tests.support.live_server import running_server


def _run(capsys, db, *args: str) -> str:
    main(["client", "--db", str(db), *args])
    return capsys.readouterr().out


def test_log_in_queue_offline_sync_and_show(database_url, tmp_path, capsys):
    db = tmp_path / "ava.db"
    message = str(uuid.uuid4())
    with running_server(database_url) as url:
        out = _run(capsys, db, "login", "--url", url, "--email", "ava@example.com", "--tenant", "demo")
        assert out.startswith(f"Logged in to {url} as Ava Reed (customer); accounts: ")
        assert "Pulled" in _run(capsys, db, "pull")
        args = json.dumps({"id": message, "body": "Can you come earlier?", "account_id": sid("account:ava-reed")})
        assert _run(capsys, db, "queue", "message.send", "--args", args).startswith(
            "Queued message.send as mutation #1;"
        )
        pending = _run(capsys, db, "pending")
        assert "1 mutation(s) waiting to be sent:" in pending and "shown locally" in pending
        assert "Can you come earlier?" in _run(capsys, db, "show", "message")
        assert "Can you come earlier?" not in _run(capsys, db, "show", "message", "--server")
        out = _run(capsys, db, "sync")
        assert "Pushed 1 mutation(s): 1 applied, 0 already applied, 0 rejected." in out
        assert _run(capsys, db, "pending") == "Nothing is waiting to be sent.\n"
        assert _run(capsys, db, "push") == "Nothing to push.\n"
        shown = [json.loads(line) for line in _run(capsys, db, "show", "message", "--json", "--server").splitlines()]
        assert message in {m["id"] for m in shown}
        counts = _run(capsys, db, "show")
        assert any(line.split() == ["message", "3"] for line in counts.splitlines())

        booking = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "site_id": sid("site:ava-home"),
                "service_type_id": sid("service:septic"),
                "date": "2099-01-01",
                "time_slot_id": sid("slot:morning"),
            }
        )
        _run(capsys, db, "queue", "job.book", "--args", booking)
        assert "locally it would be rejected (service_not_bookable" in _run(capsys, db, "pending")
        out = _run(capsys, db, "sync")
        assert "#2 job.book was rejected (service_not_bookable)" in out


def test_mistakes_are_explained(tmp_path, capsys):
    db = tmp_path / "x.db"
    with pytest.raises(SystemExit) as exited:
        main(["client", "--db", str(db), "queue", "job.teleport", "--args", "{}"])
    assert exited.value.code == 1
    assert "Not queued (unknown_mutation)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["client", "--db", str(db), "queue", "message.send", "--args", "{not json"])
    assert "--args is not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["client", "--db", str(db), "sync"])
    assert "log in first" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(
            [
                "client",
                "--db",
                str(db),
                "--attempts",
                "1",
                "login",
                "--url",
                "http://127.0.0.1:9",
                "--email",
                "a@b.example",
                "--tenant",
                "demo",
            ]
        )
    assert "could not reach the server" in capsys.readouterr().err
