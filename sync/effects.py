"""What a mutator wants to happen outside the database once its writes are committed.

A mutator decides; it never acts. It reads and writes rows through its ``Tx`` and *emits* effects
(`Context.emit`): the server's unit of work stores the durable ones in the effect outbox in the same
transaction as the rows and the changelog, and a dispatcher carries them out after the commit, at
least once, each with an idempotency key made from where it came from (``client_id``, ``mutation_id``
and its index among the mutation's effects). The Python client's optimistic replay drops them.

- `Notify`: an SMS/email about a milestone (the bell notification itself is a row, written by the
  mutator). Durable.
- `ChargeExtension`: charge a rental extension to the account's default saved method; its outcome
  comes back as a change to the rental (extension ``paid`` or reverted as ``declined``). Durable.
- `PaymentNotice`: the receipt (or failed-debit or refund message) for a settled payment. Durable.
- `Live`: a live-socket event (e.g. a read receipt). Transient: lost if the process dies, like the
  pokes that every commit sends (clients reconcile by pulling).
"""

from __future__ import annotations

from typing import Any

import msgspec


class Notify(msgspec.Struct, frozen=True, kw_only=True, tag="notify"):
    """Something people may be told about by SMS/email after the commit."""

    kind: str
    account_id: str
    title: str
    body: str
    link: str = ""


class ChargeExtension(msgspec.Struct, frozen=True, kw_only=True, tag="charge_extension"):
    """Charge ``amount`` cents for ``days`` more days of a rental (the extension recorded ``at``)."""

    rental_id: str
    account_id: str
    days: int
    amount: int
    at: str  # the extension entry's ``at``: which one of the rental's extensions this pays for
    contact_id: str  # who asked, to be told of a decline
    mutation: dict[str, Any] = {}  # the mutation's name and args, kept with a decline so it can be retried


class PaymentNotice(msgspec.Struct, frozen=True, kw_only=True, tag="payment_notice"):
    """Tell the account about a settled payment (receipt, failed debit, refund) by email/SMS."""

    payment_id: str
    notice: str  # receipt, bank_failure, refund


class Live(msgspec.Struct, frozen=True, kw_only=True, tag="live"):
    """An event for the account's live sockets and the office (no row behind it)."""

    event: dict[str, Any]


Effect = Notify | ChargeExtension | PaymentNotice | Live
DURABLE = (Notify, ChargeExtension, PaymentNotice)

encode_effect = msgspec.json.Encoder().encode
_decoder = msgspec.json.Decoder(Effect)


def decode_effect(raw: bytes | str) -> Effect:
    return _decoder.decode(raw)
