"""Connecting other systems: tenant API keys for the office API, and outbound webhooks."""
