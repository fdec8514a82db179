"""Words people read: every error and rejection code the server can answer has a sentence in the PWA's
one catalogue (client_pwa/src/lib/words.ts), and every action a name — so no screen falls back to a
code, a mutation name or the server's developer text.

The codes are enumerated from the Python source itself (every ``Rejected(code, …)``, ``ApiError(status,
code, …)``, ``body(code, …)``, gateway error and declined-charge code), so a new code fails this test
until it gets its sentence."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server.errors import _HTTP_CODES
from sync.mutators.registry import MUTATORS, load_all

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "client_pwa" / "src" / "lib" / "words.ts"
# Which argument of which call is an error code (helpers that pass a parameter on as the code, like
# ``_decline`` or ``_refuse``, are found from these).
CODE_ARGUMENT = {
    "Rejected": 0,
    "body": 0,
    "GatewayError": 0,
    "InvalidWebhook": 0,
    "ApiError": 1,
    "_decline": 4,
    "_refuse": 0,
}
# Codes that reach a customer without a literal in our source: Stripe's own, passed on as they come
# (server/billing/gateway.py), and the PWA's own (network failures, a rejection without a code).
PASSED_ON = {"expired_card", "incorrect_cvc", "incorrect_number", "insufficient_funds", "processing_error"}
CLIENT_SIDE = {"network_error", "rejected", "error", "sync_failed"}


def _strings(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.BoolOp):
        return set().union(*(_strings(v) for v in node.values))
    return set()


def _trees() -> list[tuple[Path, ast.AST]]:
    return [
        (path, ast.parse(path.read_text(), str(path)))
        for top in ("server", "sync")
        for path in sorted((ROOT / top).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _wrappers(trees, known: dict[str, int]) -> dict[str, int]:
    """Helpers that hand one of their parameters on as the code (``def _refuse(code, …): return
    ApiError(409, code, …)``): calls to them name codes too."""
    found = dict(known)
    for _, tree in trees:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for node in ast.walk(fn):
                index = CODE_ARGUMENT.get(_name(node.func)) if isinstance(node, ast.Call) else None
                if index is not None and len(node.args) > index and isinstance(node.args[index], ast.Name):
                    if node.args[index].id in params and fn.name not in CODE_ARGUMENT:
                        found.setdefault(fn.name, params.index(node.args[index].id))
    return found


def server_codes() -> dict[str, str]:
    """code -> where it is raised."""
    trees = _trees()
    arguments = _wrappers(trees, CODE_ARGUMENT)
    found: dict[str, str] = {}
    for path, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            index = arguments.get(_name(node.func))
            if index is None or len(node.args) <= index:
                continue
            for code in _strings(node.args[index]):
                found.setdefault(code, f"{path.relative_to(ROOT)}:{node.lineno}")
    for code in (*_HTTP_CODES.values(), "error"):
        found.setdefault(code, "server/errors.py (_HTTP_CODES)")
    return found


def catalogue_keys(const: str) -> set[str]:
    text = CATALOGUE.read_text()
    start = text.index(f"export const {const}")
    block = text[start : text.index("\n}\n", start)]
    return set(re.findall(r"^\s*'?([a-z_.]+)'?\s*:", block, re.M)) | set(re.findall(r"'([a-z_]+\.[a-z_]+)':", block))


def test_the_source_scan_finds_the_codes_it_should():
    codes = server_codes()
    # A scan that found nothing would make the test below pass for the wrong reason.
    for known in (
        "promo_invalid",
        "slot_full",
        "validation_error",
        "card_declined",
        "authentication_required",
        "in_use",
    ):
        assert known in codes


def test_every_code_the_server_can_answer_has_a_sentence():
    sentences = catalogue_keys("SENTENCES")
    missing = {code: where for code, where in server_codes().items() if code not in sentences}
    assert missing == {}, f"codes without a customer sentence in {CATALOGUE.name}: {missing}"
    assert PASSED_ON | CLIENT_SIDE <= sentences


def test_every_action_has_a_name_and_every_field_code_a_sentence():
    load_all()
    actions = catalogue_keys("ACTIONS")
    assert set(MUTATORS) - actions == set(), "actions without a name people read"
    assert catalogue_keys("FIELD_OF") <= catalogue_keys("SENTENCES")


def test_sentences_read_as_sentences():
    text = CATALOGUE.read_text()
    block = text[text.index("export const SENTENCES") : text.index("\n}\n", text.index("export const SENTENCES"))]
    for line in block.splitlines():
        match = re.match(r"^\s*[a-z_]+: ['\"](.*)['\"],$", line)
        if match:
            sentence = match.group(1)
            assert sentence[0].isupper() and sentence.endswith((".", "!")), line
            assert not re.search(r"\b[a-z]+_[a-z_]+\b|\w+\.\w+:", sentence), f"a code in a sentence: {line}"
