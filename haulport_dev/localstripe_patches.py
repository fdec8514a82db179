"""What localstripe 1.15.10 lacks or gets wrong for bank debits, added in its own process.

`localstripe_runner` applies these before it serves. They change localstripe's classes in the
child process only; nothing here runs inside Haulport's server.

SEPA Direct Debit (`patch_sepa_debits`)
---------------------------------------
localstripe reports a good SEPA PaymentIntent ``succeeded`` at once (it marks the charge succeeded
before its own delayed settlement), and fails a bad one with the card message "Your card was
declined.". Patched, a debit is ``processing`` for ``settle_s`` seconds, then ``succeeded`` or
``requires_payment_method`` with Stripe's failure code, and the ``payment_intent.succeeded`` /
``payment_failed`` event follows (delivered ~1 s later). The same applies to US bank debits.

US bank accounts (ACH Direct Debit, `patch_us_bank_accounts`)
------------------------------------------------------------
localstripe has no ``us_bank_account`` type at all. Added, following Stripe's documented
behaviour and test numbers for manually entered accounts verified by micro-deposits:

* ``PaymentMethod`` type ``us_bank_account`` from ``{"routing_number", "account_number",
  "account_holder_type", "account_type"?}``: the routing number must be 9 digits with a valid ABA
  check digit and the account number 4–17 digits (else 400 ``routing_number_invalid`` /
  ``account_number_invalid``). It reads back as ``us_bank_account: {bank_name: "STRIPE TEST
  BANK", last4, routing_number, account_holder_type, account_type, fingerprint, networks}``.
* Stripe's test accounts (routing ``110000000``): ``000123456789`` and any other number clear;
  debits from ``000111111113`` fail ``account_closed``, ``000111111116`` ``no_account``,
  ``000222222227`` ``insufficient_funds``, ``000333333335`` ``debit_not_authorized``.
* ``SetupIntent``: ``payment_method_types=["us_bank_account"]`` and ``payment_method_options``
  are accepted; confirming it with such a method (and the ``mandate_data`` Stripe.js sends) leaves
  it ``requires_action`` with ``next_action: {"type": "verify_with_microdeposits",
  "verify_with_microdeposits": {"arrival_date", "hosted_verification_url", "microdeposit_type":
  "amounts"}}``.
* ``POST /v1/setup_intents/{id}/verify_microdeposits`` (secret key) with ``amounts=[32, 45]`` or
  ``descriptor_code=SM11AA`` ⇒ ``succeeded`` (the method is then usable). Other amounts ⇒ 400
  ``payment_method_microdeposit_verification_amounts_mismatch`` (or ``…_descriptor_code_mismatch``);
  ``[40, 41]`` / ``SM33CC``, or the tenth wrong attempt ⇒ 400
  ``payment_method_microdeposit_verification_attempts_exceeded`` and the intent goes back to
  ``requires_payment_method``, its method unusable (Stripe's test values). Not in
  ``requires_action`` ⇒ 400 ``setup_intent_unexpected_state``. A ``setup_intent.succeeded`` or
  ``setup_intent.setup_failed`` event follows (localstripe emits no ``setup_intent.*`` event
  otherwise).
* The Stripe.js stand-in gains ``confirmUsBankAccountSetup(clientSecret, {payment_method:
  {us_bank_account: {...}, billing_details: {name, email}}})``, which posts ``payment_method_data``
  and an online ``mandate_data`` to ``/v1/setup_intents/{id}/confirm`` and returns
  ``{setupIntent}`` or ``{error}`` like Stripe.js does.
* A PaymentIntent on a verified US bank account is a debit: ``processing``, then settled as above.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

MICRODEPOSIT_AMOUNTS_OK = [32, 45]
MICRODEPOSIT_AMOUNTS_EXCEEDED = [40, 41]
DESCRIPTOR_OK = "SM11AA"
DESCRIPTOR_EXCEEDED = "SM33CC"
MAX_VERIFICATION_ATTEMPTS = 10
# Stripe's ACH test accounts whose debits fail, and how.
ACH_FAILING_ACCOUNTS = {
    "000111111113": ("account_closed", "The customer's bank account has been closed."),
    "000111111116": ("no_account", "The customer's bank account could not be located."),
    "000222222227": ("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
    "000333333335": (
        "debit_not_authorized",
        "The customer has notified their bank that this payment was unauthorized.",
    ),
}
SEPA_FAILURE = ("insufficient_funds", "The customer's account has insufficient funds to cover this payment.")

_ACH_JS = r"""
// Haulport test launcher: ACH Direct Debit with manually entered account details.
(function () {
  const makeStripe = window.Stripe;
  window.Stripe = function (apiKey, options) {
    const stripe = makeStripe(apiKey, options);
    stripe.confirmUsBankAccountSetup = async (clientSecret, data) => {
      console.log('localstripe: Stripe().confirmUsBankAccountSetup()');
      try {
        const seti = clientSecret.match(/^(seti_\w+)_secret_/)[1];
        const method = (data && data.payment_method) || {};
        const response = await fetch(`${LOCALSTRIPE_BASE_API}/v1/setup_intents/${seti}/confirm`, {
          method: 'POST',
          body: JSON.stringify({
            key: apiKey,
            use_stripe_sdk: true,
            client_secret: clientSecret,
            payment_method_data: {type: 'us_bank_account', ...method},
            mandate_data: {customer_acceptance: {type: 'online', online: {infer_from_client: true}}},
          }),
        });
        const body = await response.json().catch(() => ({}));
        if (response.status !== 200 || body.error) return {error: body.error};
        return {setupIntent: body};
      } catch (err) {
        return {error: {message: String(err)}};
      }
    };
    return stripe;
  };
})();
"""


def _aba_ok(routing: str) -> bool:
    if not re.fullmatch(r"\d{9}", routing):
        return False
    d = [int(c) for c in routing]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])) % 10 == 0


def patch_sepa_debits(resources: Any, settle_s: float) -> None:
    """Bank debits (SEPA and US) stay ``processing`` for ``settle_s`` seconds, then clear or fail.

    Replaces ``Charge._initialize_charge`` for bank debits only (cards keep localstripe's own
    behaviour): the charge stays ``pending`` — its PaymentIntent ``processing`` — then succeeds
    (with its balance transaction, as localstripe's own settlement does) or fails with the
    method's Stripe failure code, and the PaymentIntent's callbacks emit the event.
    """
    Charge = resources.Charge
    PaymentMethod = resources.PaymentMethod
    original = Charge._initialize_charge

    def _initialize_charge(self, on_success=None, on_failure_now=None, on_failure_later=None):
        if not self._is_async_payment_method() or not self.captured:
            return original(self, on_success, on_failure_now, on_failure_later)
        self.status = "pending"

        async def clear():
            await asyncio.sleep(settle_s)
            if not self._authorized:
                pm = PaymentMethod._api_retrieve(self.payment_method)
                code, message = getattr(pm, "_debit_failure", None) or SEPA_FAILURE
                self.status = "failed"
                self.failure_code = code
                self.failure_message = message
                if on_failure_later:
                    on_failure_later()
                return
            txn = resources.BalanceTransaction(
                amount=self.amount,
                currency=self.currency,
                description=self.description,
                exchange_rate=1.0,
                reporting_category="charge",
                source=self.id,
                type="charge",
            )
            self.balance_transaction = txn.id
            self.status = "succeeded"
            if on_success:
                on_success()

        asyncio.ensure_future(clear())

    Charge._initialize_charge = _initialize_charge


def patch_us_bank_accounts(resources: Any, app: Any, api_extra: Any) -> None:
    """Teach localstripe US bank accounts verified by micro-deposits (see the module docstring)."""
    from aiohttp import web
    from localstripe.webhooks import schedule_webhook

    UserError = resources.UserError
    PaymentMethod = resources.PaymentMethod
    SetupIntent = resources.SetupIntent
    Charge = resources.Charge
    StripeObject = resources.StripeObject

    # -- PaymentMethod -------------------------------------------------------------------------
    pm_init = PaymentMethod.__init__

    def pm_init_ach(self, type=None, billing_details=None, us_bank_account=None, metadata=None, **kwargs):
        if type != "us_bank_account":
            if us_bank_account is not None:
                raise UserError(400, "Unexpected us_bank_account")
            return pm_init(self, type=type, billing_details=billing_details, metadata=metadata, **kwargs)
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        if not isinstance(us_bank_account, dict) or not (billing_details is None or isinstance(billing_details, dict)):
            raise UserError(400, "Bad request")
        routing = str(us_bank_account.get("routing_number") or "")
        account = str(us_bank_account.get("account_number") or "")
        holder = us_bank_account.get("account_holder_type") or "individual"
        account_type = us_bank_account.get("account_type") or "checking"
        unknown = set(us_bank_account) - {"routing_number", "account_number", "account_holder_type", "account_type"}
        if unknown:
            raise UserError(400, "Unexpected " + ", ".join(sorted(unknown)))
        if not _aba_ok(routing):
            raise UserError(
                400,
                "Invalid routing number.",
                {"code": "routing_number_invalid", "param": "us_bank_account[routing_number]"},
            )
        if not re.fullmatch(r"\d{4,17}", account):
            raise UserError(
                400,
                "Invalid account number.",
                {"code": "account_number_invalid", "param": "us_bank_account[account_number]"},
            )
        if holder not in ("individual", "company") or account_type not in ("checking", "savings"):
            raise UserError(400, "Bad request")
        if not (billing_details or {}).get("name"):
            raise UserError(
                400,
                "Missing required param: billing_details[name].",
                {"code": "parameter_missing", "param": "billing_details[name]"},
            )
        StripeObject.__init__(self)
        self.type = "us_bank_account"
        self.billing_details = billing_details or {}
        self._account_number = account
        self._debit_failure = ACH_FAILING_ACCOUNTS.get(account)
        self.us_bank_account = {
            "account_holder_type": holder,
            "account_type": account_type,
            "bank_name": "STRIPE TEST BANK",
            "financial_connections_account": None,
            "fingerprint": resources.fingerprint(routing + account),
            "last4": account[-4:],
            "networks": {"preferred": "ach", "supported": ["ach"]},
            "routing_number": routing,
            "status_details": {},
        }
        self.customer = None
        self.metadata = metadata or {}

    PaymentMethod.__init__ = pm_init_ach

    charging_declined = PaymentMethod._charging_is_declined

    def charging_is_declined(self):
        if self.type == "us_bank_account":
            return self._debit_failure is not None
        return charging_declined(self)

    PaymentMethod._charging_is_declined = charging_is_declined

    list_all = PaymentMethod._api_list_all.__func__

    @classmethod
    def pm_list_all(cls, url, customer=None, type=None, limit=None, starting_after=None):
        if type not in ("sepa_debit", "us_bank_account"):
            return list_all(cls, url, customer=customer, type=type, limit=limit, starting_after=starting_after)
        if not (isinstance(customer, str) and customer.startswith("cus_")):
            raise UserError(400, "Bad request")
        resources.Customer._api_retrieve(customer)  # 404 if there is no such customer
        li = StripeObject._api_list_all.__func__(cls, url, limit=limit, starting_after=starting_after)
        li._list = [pm for pm in li._list if pm.customer == customer and pm.type == type]
        return li

    PaymentMethod._api_list_all = pm_list_all

    def is_async(self):
        pm = PaymentMethod._api_retrieve(self.payment_method)
        return pm.type in ("sepa_debit", "us_bank_account")

    Charge._is_async_payment_method = is_async

    # -- SetupIntent ---------------------------------------------------------------------------
    si_init = SetupIntent.__init__

    def si_init_ach(
        self, customer=None, usage=None, payment_method_types=None, metadata=None, payment_method_options=None, **kwargs
    ):
        types = payment_method_types
        if isinstance(types, list) and "us_bank_account" in types:
            types = [t for t in types if t != "us_bank_account"] or ["card"]
        if payment_method_options is not None and not isinstance(payment_method_options, dict):
            raise UserError(400, "Bad request")
        si_init(self, customer=customer, usage=usage, payment_method_types=types, metadata=metadata, **kwargs)
        self.payment_method_types = payment_method_types or ["card"]
        self.payment_method_options = payment_method_options or {}
        self.last_setup_error = None
        self.mandate = None
        self._verification_attempts = 0

    SetupIntent.__init__ = si_init_ach

    confirm = SetupIntent._api_confirm.__func__

    @classmethod
    def si_confirm(cls, id, mandate_data=None, **kwargs):
        obj = confirm(cls, id, **kwargs)
        if mandate_data is not None and not isinstance(mandate_data, dict):
            raise UserError(400, "Bad request")
        pm = PaymentMethod._api_retrieve(obj.payment_method) if obj.payment_method else None
        if pm is not None and pm.type == "us_bank_account":
            if "us_bank_account" not in obj.payment_method_types:
                raise UserError(
                    400,
                    "The payment method type us_bank_account is not allowed for this SetupIntent.",
                    {"code": "payment_intent_invalid_parameter"},
                )
            obj.mandate = "mandate_" + resources.random_id(24)
            obj.status = "requires_action"
            obj.next_action = {
                "type": "verify_with_microdeposits",
                "verify_with_microdeposits": {
                    "arrival_date": int(time.time()) + 2 * 86400,
                    "hosted_verification_url": f"https://payments.stripe.com/microdeposit/{obj.id}",
                    "microdeposit_type": "amounts",
                },
            }
        return obj

    SetupIntent._api_confirm = si_confirm
    # localstripe's route holds the original function, so requests are sent to ours (`ach_routes`).
    confirm_url = "/v1/setup_intents/{id}/confirm"
    confirm_handler = api_extra(SetupIntent._api_confirm, confirm_url)

    def verify_microdeposits(id, amounts=None, descriptor_code=None, client_secret=None, key=None, **kwargs):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        obj = SetupIntent._api_retrieve(id)
        if client_secret is not None and client_secret != obj.client_secret:
            raise UserError(401, "Unauthorized")
        if (
            obj.status != "requires_action"
            or not obj.next_action
            or obj.next_action.get("type") != "verify_with_microdeposits"
        ):
            raise UserError(
                400,
                f"This SetupIntent is in {obj.status}; there is nothing to verify.",
                {"code": "setup_intent_unexpected_state"},
            )
        if (amounts is None) == (descriptor_code is None):
            raise UserError(400, "Give either amounts or descriptor_code.", {"code": "parameter_missing"})
        if amounts is not None:
            try:
                given = [int(a) for a in amounts]
                assert len(given) == 2
            except (TypeError, ValueError, AssertionError):
                raise UserError(
                    400,
                    "amounts must be two integers (cents).",
                    {"code": "parameter_invalid_integer", "param": "amounts"},
                ) from None
            ok, exceeded, mismatch = (
                given == MICRODEPOSIT_AMOUNTS_OK,
                given == MICRODEPOSIT_AMOUNTS_EXCEEDED,
                "payment_method_microdeposit_verification_amounts_mismatch",
            )
        else:
            code = str(descriptor_code).upper()
            ok, exceeded, mismatch = (
                code == DESCRIPTOR_OK,
                code == DESCRIPTOR_EXCEEDED,
                "payment_method_microdeposit_verification_descriptor_code_mismatch",
            )
        if ok:
            obj.status = "succeeded"
            obj.next_action = None
            schedule_webhook(resources.Event("setup_intent.succeeded", obj))
            return obj
        obj._verification_attempts += 1
        if exceeded or obj._verification_attempts >= MAX_VERIFICATION_ATTEMPTS:
            obj.status = "requires_payment_method"
            obj.next_action = None
            obj.last_setup_error = {
                "code": "payment_method_microdeposit_verification_attempts_exceeded",
                "message": "You have exceeded the number of allowed verification attempts.",
            }
            schedule_webhook(resources.Event("setup_intent.setup_failed", obj))
            raise UserError(400, obj.last_setup_error["message"], {"code": obj.last_setup_error["code"]})
        left = MAX_VERIFICATION_ATTEMPTS - obj._verification_attempts
        if amounts is not None:
            message = f"The amounts provided do not match the amounts that were sent to the bank account. You have {left} verification attempts remaining."
        else:
            message = f"The verification code provided does not match the one sent to the bank account. You have {left} verification attempts remaining."
        raise UserError(400, message, {"code": mismatch})

    url = "/v1/setup_intents/{id}/verify_microdeposits"
    app.router.add_route("POST", url, api_extra(verify_microdeposits, url))

    # -- Stripe.js stand-in, and the replaced confirm route ------------------------------------
    @web.middleware
    async def ach_routes(request, handler):
        route = request.match_info.route
        if request.method == "POST" and route.resource is not None and route.resource.canonical == confirm_url:
            return await confirm_handler(request)
        response = await handler(request)
        if request.path == "/js.stripe.com/v3/" and isinstance(response, web.Response) and response.text:
            response.text = response.text + _ACH_JS
        return response

    app.middlewares.append(ach_routes)


def patch_idempotency_keys(app: Any) -> None:
    """Honour ``Idempotency-Key`` as Stripe does: a POST repeated with the same key (and path) gets the
    first answer again instead of doing the work twice. localstripe ignores the header, so without
    this a retried charge would charge again here where real Stripe would not. Keys are kept for the
    life of the process (Stripe keeps them 24 hours); concurrent requests with one key wait for the first.
    Like Stripe, a key sent again with other parameters (another card, another amount) is refused with
    400 ``idempotency_error`` instead of being answered as the first request was."""
    from aiohttp import web

    answers: dict[tuple[str, str], tuple[bytes, int, bytes, str]] = {}
    locks: dict[tuple[str, str], asyncio.Lock] = {}

    @web.middleware
    async def idempotent(request, handler):
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return await handler(request)
        slot = (key, request.path)
        sent = await request.read()  # aiohttp keeps it for the handler
        async with locks.setdefault(slot, asyncio.Lock()):
            if slot in answers:
                first, status, body, content_type = answers[slot]
                if first != sent:  # as Stripe: a key is for one request, not a different one
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with.",
                    }
                    return web.json_response({"error": error}, status=400)
                return web.Response(
                    status=status, body=body, content_type=content_type, headers={"Idempotent-Replayed": "true"}
                )
            response = await handler(request)
            if isinstance(response, web.Response) and response.status < 500 and isinstance(response.body, bytes | None):
                answers[slot] = (sent, response.status, response.body or b"", response.content_type)
            return response

    app.middlewares.insert(0, idempotent)


def patch_payment_intent_lists(resources: Any) -> None:
    """``GET /v1/payment_intents?customer=cus_…`` as Stripe serves it: localstripe refuses the filter
    (400 "Unexpected customer"), which Haulport uses to find a charge whose answer it lost."""
    PaymentIntent = resources.PaymentIntent
    StripeObject = resources.StripeObject

    @classmethod
    def pi_list_all(cls, url, customer=None, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        li = StripeObject._api_list_all.__func__(cls, url, limit=limit, starting_after=starting_after)
        if customer is not None:
            li._list = [pi for pi in li._list if pi.customer == customer]
        li._list.sort(key=lambda pi: pi.created, reverse=True)  # newest first, as Stripe lists them
        return li

    PaymentIntent._api_list_all = pi_list_all
