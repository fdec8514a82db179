"""A provider URL that names no recipient would send every person's message (their login link) to
one fixed address, the sender's or whoever the URL names: the start refuses it, naming the key."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, check_for_serving, load_settings


def _settings(**values):
    return load_settings(path="missing.toml", env={}, dev_mode=True, **values)


@pytest.mark.parametrize(
    "key, url",
    [
        ("notify_email_url", "mailto://smtp.example.com?from=portal@x.example"),  # sends to the sender
        ("notify_email_url", "mailtos://user:pass@smtp.example.com?from=portal@x.example&to=boss@x.example"),
        ("notify_email_url", "mailto://portal@x.example"),
        (
            "notify_sms_url",
            "twilio://AC00000000000000000000000000000000:token@15551234567/15557654321",
        ),  # one fixed phone for everyone
        ("notify_email_url", "not a url {to}"),  # names the recipient, but no provider can use it
        ("notify_sms_url", "nosuchscheme://host/{to}"),
    ],
)
def test_a_provider_url_without_the_recipient_stops_the_start_naming_the_key(key, url):
    with pytest.raises(SettingsError, match=f"^{key}:"):
        check_for_serving(_settings(**{key: url}))


def test_the_environment_is_checked_the_same_way():
    settings = load_settings(
        path="missing.toml",
        env={"HAULPORT_DEV_MODE": "true", "HAULPORT_NOTIFY_EMAIL_URL": "mailto://h?from=a@b.example"},
    )
    with pytest.raises(SettingsError, match="notify_email_url.*\\{to\\}"):
        check_for_serving(settings)


@pytest.mark.parametrize(
    "key, url",
    [
        ("notify_email_url", "mailto://127.0.0.1:2525?from=portal@demo.example&to={to}&mode=insecure"),
        ("notify_email_url", "mailtos://user:pass@smtp.example.com?from=portal@example.com&to={to}"),
        ("notify_sms_url", "twilio://AC00000000000000000000000000000000:token@15551234567/{to}"),
        ("notify_email_url", ""),  # none: the dev outbox
    ],
)
def test_urls_naming_the_recipient_are_taken(key, url):
    check_for_serving(_settings(**{key: url}))
