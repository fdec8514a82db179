"""Billing: Stripe customers, saved payment methods, charges and webhooks."""
