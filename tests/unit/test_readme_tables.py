"""README.md's command, settings and environment tables agree with the code they describe."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path

import msgspec

from server.cli import build_parser
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _table(heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first table under ``heading``."""
    section = README.split(f"\n{heading}\n", 1)[1]
    rows = []
    for line in section.splitlines():
        if rows and not line.startswith("|"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))])
    return rows[1:]  # without the header


def _commands() -> dict[str, list[str]]:
    """``"serve"`` / ``"tenant create"`` → its option strings, from the parser."""
    found: dict[str, list[str]] = {}

    def walk(parser: argparse.ArgumentParser, prefix: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    nested = any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
                    if nested:
                        walk(sub, f"{prefix}{name} ")
                    else:
                        found[f"{prefix}{name}"] = [
                            option for a in sub._actions if a.option_strings for option in a.option_strings
                        ]
                        found[f"{prefix}{name}"].remove("-h")
                        found[f"{prefix}{name}"].remove("--help")

    walk(build_parser(), "")
    return found


def test_the_command_table_lists_every_command_with_its_options():
    documented: dict[str, str] = {}
    for cells in _table("## Commands"):
        usage = cells[0].strip("`").replace("\\|", "|")
        words = usage.split()
        assert words[0] == "haulport", usage
        command = []
        for word in words[1:]:
            if not re.fullmatch(r"[a-z][a-z-]*", word):
                break
            command.append(word)
        documented[" ".join(command)] = usage
    commands = _commands()
    assert set(documented) == set(commands), (sorted(documented), sorted(commands))
    for command, options in commands.items():
        missing = [option for option in options if option not in documented[command]]
        assert not missing, f"README's row for `haulport {command}` does not show {missing}"


def _default_text(value: object) -> set[str]:
    """The ways the README may write a default."""
    if value == "" or value == []:
        return {"empty"}
    if isinstance(value, bool):
        return {f"`{str(value).lower()}`", str(value).lower()}
    if isinstance(value, int | float):
        texts = {str(value), f"{value:g}"}
        if isinstance(value, int) and value % (1024 * 1024) == 0:
            texts.add(f"{value // (1024 * 1024)} MiB")
        return texts
    return {f"`{value}`"}


def test_the_settings_table_lists_every_key_with_its_default():
    defaults = msgspec.structs.asdict(Settings())
    documented: dict[str, str] = {}
    for cells in _table("## Configuration"):
        keys = re.findall(r"`([a-z_]+)`", cells[0])
        texts = [t.strip() for t in re.split(r",| / ", cells[1].split(" (")[0])]
        if len(texts) == 1:
            texts *= len(keys)  # one default for all of them
        assert keys and len(texts) == len(keys), cells
        assert not set(keys) & set(documented), f"documented twice: {sorted(set(keys) & set(documented))}"
        documented.update(zip(keys, texts, strict=True))
    assert set(documented) == set(defaults), {
        "not in the README": sorted(set(defaults) - set(documented)),
        "not a setting": sorted(set(documented) - set(defaults)),
    }
    for key, text in documented.items():
        if key == "secret_key":
            assert text == "dev value"
            continue
        assert text in _default_text(defaults[key]), (
            f"README gives {key}'s default as {text!r}, the code {defaults[key]!r}"
        )


def test_litestar_toml_holds_the_defaults_the_readme_gives():
    toml = tomllib.loads((ROOT / "litestar.toml").read_text())
    defaults = msgspec.structs.asdict(Settings())
    assert set(toml) <= set(defaults)
    assert {key: value for key, value in toml.items() if defaults[key] != value} == {}


def test_every_environment_variable_the_project_reads_is_documented():
    settings_keys = {f"HAULPORT_{key.upper()}" for key in msgspec.structs.asdict(Settings())}
    used: set[str] = set()
    sources = [*(ROOT / "scripts").glob("*.sh"), ROOT / "client_pwa" / "vite.config.ts"]
    for folder in ("server", "sync", "haulport_dev", "tests"):
        sources += (ROOT / folder).rglob("*.py")
    for path in sources:
        used |= set(re.findall(r"\b(?:HAULPORT|LOCALSTRIPE)_[A-Z][A-Z_]*[A-Z]\b", path.read_text()))
    used -= settings_keys
    used -= {"LOCALSTRIPE_BASE_API"}  # a name inside localstripe's Stripe.js stand-in, not a variable
    environment = {re.sub(r"`", "", cells[0]) for cells in _table("### Environment of the scripts and tools")}
    documented = environment | set(re.findall(r"`(HAULPORT_[A-Z_]+)`", README))
    assert used <= documented, f"read but not documented in README.md: {sorted(used - documented)}"
