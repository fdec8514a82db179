"""A pending card payment is never expired while its charge may still be on its way to Stripe."""

from __future__ import annotations

import pytest

from server.settings import load_settings


def test_the_expiry_is_never_shorter_than_a_stripe_request_can_take():
    with pytest.raises(Exception, match="pending_payment_expiry_s"):
        load_settings(env={"HAULPORT_PENDING_PAYMENT_EXPIRY_S": "60"})
    assert load_settings(env={"HAULPORT_PENDING_PAYMENT_EXPIRY_S": "300"}).pending_payment_expiry_s == 300
