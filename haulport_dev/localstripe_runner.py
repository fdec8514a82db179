"""Run localstripe (a stateful fake Stripe) on a loopback port, for tests and keyless dev servers.

Why not the ``localstripe`` CLI as is
-------------------------------------
``localstripe [--port 8420] [--from-scratch]`` binds ``::`` (every interface, IPv4 and IPv6),
loads ``/tmp/localstripe.pickle`` at start unless ``--from-scratch``, and rewrites that same file
after every write request, whichever instance made it. So two instances (parallel test runs, a dev
server next to a test run) share and clobber one file, and the fake payment API is open to the
network. This module therefore starts a child Python process that imports localstripe's aiohttp
``app``, keeps the store in memory only, binds ``127.0.0.1`` on a port the kernel picks (no
"find a free port, then race for it"), prints ``LISTENING <port>`` and serves. ``python -m
haulport_dev.localstripe_runner --port 8420`` runs the same thing by hand.

What localstripe 1.15.10 serves
-------------------------------
* ``/v1/...``: the Stripe API subset (customers, payment_methods, setup_intents,
  payment_intents, charges, events …). Any ``Authorization: Bearer sk_…`` key longer than
  ``sk_`` is accepted; the official SDK works with ``StripeClient(key,
  base_addresses={"api": base_url})``. Browser-side calls (setup-intent confirm/cancel,
  ``_authenticate``) may instead carry a ``pk_…`` key as ``key`` in the body.
* ``GET /js.stripe.com/v3/``: a Stripe.js stand-in (no auth). It derives the API base from its own
  ``<script src>`` (everything before ``/js.stripe.com/v3/``), so it works behind a path prefix.
  ``Stripe(pk).elements().create("card")`` mounts plain ``<input>`` boxes with placeholders
  ``number``, ``exp_month``, ``exp_year`` (two digits), ``cvc``, ``postal_code``.
  ``confirmCardSetup(secret, {payment_method: {card: element}})`` posts ``payment_method_data`` to
  ``/v1/setup_intents/{id}/confirm``; on ``requires_action`` it shows an in-page modal with buttons
  "Complete authentication" (confirms again, no method ⇒ ``succeeded``) and "Fail authentication"
  (``/cancel`` ⇒ ``canceled``). ``confirmCardPayment(secret)`` always shows that modal and posts
  to ``/v1/payment_intents/{id}/_authenticate?success=true|false``, which answers 400 unless the
  intent is in ``requires_action`` — so only call it for ``requires_action``.
  ``createPaymentMethod`` is an empty stub. ``confirmSepaDebitSetup`` saves an IBAN; the
  launcher adds ``confirmUsBankAccountSetup`` for US bank accounts (see `localstripe_patches`).
* ``POST /_config/webhooks/{id}`` ``{"url", "secret", "events"?}`` (no auth) registers a webhook
  target; events are POSTed about 1 s after they happen, signed ``t=<event.created>,v1=<HMAC>``
  exactly like Stripe, so ``stripe.Webhook`` verifies them. Registrations live in memory, cannot
  be deleted and survive ``DELETE /_config/data`` (which empties the store); re-register the same
  id with ``"events": []`` to silence one. Only customer.*, payment_intent.succeeded/
  payment_failed, invoice.*, … are emitted; there is no ``setup_intent.*`` event at all.

Doing in a test what the browser would do (no Stripe.js needed)
--------------------------------------------------------------
1. ``client.v1.payment_methods.create(params={"type": "card", "card": {"number":
   "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})`` — ``card`` must have
   exactly those four keys; ``exp_year`` must be 2019‥2099. Test IDs ``pm_card_visa``,
   ``pm_card_visa_chargeDeclined`` (…0002) and ``pm_card_chargeCustomerFail`` (…0341) also work
   wherever a method id is read, each read minting a new ``pm_…``.
2. ``client.v1.setup_intents.confirm(seti_id, params={"payment_method": pm_id})`` ⇒ ``succeeded``
   (or ``requires_action`` for 3-D Secure numbers: confirm again with no params to "complete"
   the challenge, or ``/cancel`` it). Unlike Stripe, this does NOT attach the method to the
   intent's customer; whoever reads the intent must attach it.
3. A payment in ``requires_action``: ``client.raw_request("post",
   f"/v1/payment_intents/{pi}/_authenticate", client_secret=secret, success="true")`` charges it;
   ``success="false"`` leaves it ``requires_payment_method`` with
   ``last_payment_error.code == "payment_intent_authentication_failure"``.

Bank debits. SEPA Direct Debit: a SetupIntent with ``payment_method_types=["sepa_debit"]`` is
confirmed with ``payment_method_data={"type": "sepa_debit", "sepa_debit": {"iban": …},
"billing_details": {"name", "email"}}`` (the stand-in's ``confirmSepaDebitSetup`` posts exactly
that). Any IBAN of 14‥34 characters saves; charging ``DE62370400440532013001`` fails. US bank
accounts (ACH) do not exist in localstripe 1.15.10 and are added, with micro-deposit
verification and Stripe's test account numbers, by `localstripe_patches` (read its docstring).
Both kinds of debit are patched to behave like Stripe's: ``processing`` for ``--debit-settle-s``
seconds (default `DEBIT_SETTLE_S`), then ``succeeded`` or ``requires_payment_method`` with the
bank's failure code, and the ``payment_intent.succeeded`` / ``payment_failed`` event follows
(delivered ~1 s later).

Card numbers localstripe knows (every card reports brand ``visa``, country ``FR``):
declined when set up or attached (402 ``card_declined``, setup intent ⇒ ``canceled``) —
4000000000000002, …9995, …9987, …9979, …0069, …0127, …0119, 4242424242424241; saved fine but
declined when charged — 4000000000000341 (and 3-D Secure then decline: 4000008260003178,
4000008400001629); 3-D Secure required on every setup and every payment, even off-session —
4000002500003155, 4000002760003184, 4000008260003178, 4000000000003220, 4000000000003063,
4000008400001629. Any other 16-digit number succeeds, so an unsaved 4000000000000002 charged
directly succeeds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

# localstripe accepts any key of this shape; the Stripe.js stand-in needs a pk_ one.
SECRET_KEY = "sk_test_localstripe"
PUBLISHABLE_KEY = "pk_test_localstripe"
# How long a SEPA debit stays "processing" before it clears (or fails), in seconds. The environment
# variable LOCALSTRIPE_DEBIT_SETTLE_S changes it for a whole server (browser tests, a demo).
DEBIT_SETTLE_S = float(os.environ.get("LOCALSTRIPE_DEBIT_SETTLE_S") or 1.0)
# SEPA test IBANs: one that clears, one whose debits fail (localstripe's own choice of failing IBAN).
IBAN_OK = "DE89370400440532013000"
IBAN_FAILS = "DE62370400440532013001"


class LocalStripeError(RuntimeError):
    """localstripe did not start or did not answer."""


def stripe_js_url(base_url: str) -> str:
    """Where a page loads the Stripe.js stand-in from."""
    return f"{base_url}/js.stripe.com/v3/"


def start_localstripe(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    log_path: str | None = None,
    timeout: float = 15.0,
    debit_settle_s: float = DEBIT_SETTLE_S,
) -> tuple[subprocess.Popen, str]:
    """Start localstripe in a child process and return it with its base URL once it answers.

    ``port=0`` lets the kernel pick a free one. With ``log_path`` the access log (and webhook
    delivery results) are appended there; otherwise only errors are kept, to explain a failed start.
    """
    log = open(log_path, "ab+") if log_path else tempfile.TemporaryFile()
    args = [
        sys.executable,
        os.path.abspath(__file__),
        "--host",
        host,
        "--port",
        str(port),
        "--debit-settle-s",
        str(debit_settle_s),
    ]
    if log_path:
        args.append("--access-log")
    with log:  # the child keeps its own descriptor
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
        try:
            bound_port = _read_port(process, timeout)
            base_url = f"http://{_url_host(host)}:{bound_port}"
            _wait_until_answering(base_url, process, timeout)
        except LocalStripeError as exc:
            stop_localstripe(process)
            log.seek(0)
            output = log.read().decode(errors="replace").strip().splitlines()[-3:]
            raise LocalStripeError("\n".join([str(exc), *output])) from None
        except BaseException:
            stop_localstripe(process)
            raise
    return process, base_url


def stop_localstripe(process: subprocess.Popen, timeout: float = 5.0) -> None:
    """Stop a localstripe started by `start_localstripe` (SIGTERM, then SIGKILL)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    if process.stdout:
        process.stdout.close()


@contextlib.contextmanager
def running_localstripe(**kwargs) -> Iterator[str]:
    """Run localstripe for the duration of a ``with`` block and yield its base URL."""
    process, base_url = start_localstripe(**kwargs)
    try:
        yield base_url
    finally:
        stop_localstripe(process)


def register_webhook(
    base_url: str,
    endpoint_url: str,
    secret: str,
    *,
    events: list[str] | None = None,
    webhook_id: str = "haulport",
) -> None:
    """Ask localstripe to POST its events to ``endpoint_url``, signed with ``secret``.

    Registering the same ``webhook_id`` again replaces the target; ``events=[]`` silences it.
    """
    body: dict[str, Any] = {"url": endpoint_url, "secret": secret}
    if events is not None:
        body["events"] = events
    _post_json(f"{base_url}/_config/webhooks/{webhook_id}", body)


def flush_data(base_url: str) -> None:
    """Forget every object localstripe holds (webhook registrations stay)."""
    request = urllib.request.Request(f"{base_url}/_config/data", method="DELETE")
    with urllib.request.urlopen(request, timeout=5):
        pass


def _post_json(url: str, body: dict) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5):
        pass


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _read_port(process: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    stdout = process.stdout
    assert stdout is not None, "start localstripe with stdout=PIPE"
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                line = stdout.readline().decode().strip()
                if line.startswith("LISTENING "):
                    return int(line.split()[1])
                if not line and process.poll() is not None:
                    break
            elif process.poll() is not None:
                break
    raise LocalStripeError(f"localstripe did not start: {_exit_reason(process)}")


def _wait_until_answering(base_url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalStripeError(f"localstripe exited: {_exit_reason(process)}")
        try:
            with urllib.request.urlopen(stripe_js_url(base_url), timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    raise LocalStripeError(f"localstripe at {base_url} did not answer within {timeout} s")


def _exit_reason(process: subprocess.Popen) -> str:
    code = process.poll()
    return "still running" if code is None else f"exit code {code}"


def _serve(argv: list[str] | None = None) -> None:
    """Child-process entry point: serve localstripe's app on one loopback socket."""
    parser = argparse.ArgumentParser(description="localstripe on loopback, in memory only")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--debit-settle-s", type=float, default=DEBIT_SETTLE_S)
    args = parser.parse_args(argv)

    import logging

    from aiohttp import web
    from localstripe import resources, server

    # Run as a script, this file's folder is on sys.path; under ``-m`` it is put there too.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import localstripe_patches

    # Keep the store in this process only; see the module docstring.
    resources.Store.dump_to_disk = lambda self: None
    localstripe_patches.patch_sepa_debits(resources, args.debit_settle_s)
    localstripe_patches.patch_us_bank_accounts(resources, server.app, server.api_extra)
    localstripe_patches.patch_idempotency_keys(server.app)
    localstripe_patches.patch_payment_intent_lists(resources)

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.create_server((args.host, args.port), family=family)
    print(f"LISTENING {sock.getsockname()[1]}", flush=True)

    access_log = None
    if args.access_log:
        access_log = logging.getLogger("aiohttp.access")
        access_log.setLevel(logging.INFO)
        access_log.addHandler(logging.StreamHandler())
    web.run_app(server.app, sock=sock, print=None, access_log=access_log)


if __name__ == "__main__":
    _serve()
