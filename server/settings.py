"""Settings: ``litestar.toml`` decoded with msgspec, every key overridable by ``HAULPORT_<KEY>``."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from sync.messages import PULL_PAGE

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


DEV_SECRET = "change-me-in-production-this-is-only-for-dev"
# Webhook secrets that prove nothing: none, or one published in this project's files at some time.
WEAK_WEBHOOK_SECRETS = frozenset({"", "whsec_dev", "whsec_haulport_localstripe"})


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    database_url: Annotated[str, msgspec.Meta(pattern=r"^(sqlite:///.+|postgres(ql)?://.+)$")] = (
        "sqlite:///./data/haulport.db"
    )
    redis_url: Annotated[str, msgspec.Meta(pattern=r"^(rediss?://.+)?$")] = ""
    # Every Redis key and pub/sub channel of this deployment starts with "{redis_prefix}:", so two
    # deployments sharing one Redis never hear each other's pokes nor share rate-limit counts.
    redis_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = "haulport"
    secret_key: Annotated[str, msgspec.Meta(min_length=32)] = DEV_SECRET
    public_url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/]+(/[^\s]*)?$")] = "http://127.0.0.1:8000"
    dev_mode: bool = False
    notify_email_url: str = ""
    notify_sms_url: str = ""
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_api_base: Annotated[str, msgspec.Meta(pattern=r"^(https?://.+)?$")] = ""
    stripe_webhook_secret: str = ""
    stripe_js_url: str = ""
    # Which Stripe payment method type "bank account" means: SEPA Direct Debit (EUR), US ACH
    # (us_bank_account, USD), or no bank payments. See server/billing/provider.py.
    stripe_bank_method: Literal["off", "sepa_debit", "us_bank_account"] = "off"
    # Web Push (VAPID, RFC 8292). Empty key: one derived from secret_key (server/notify/webpush.py).
    vapid_private_key: str = ""
    # Who push services may contact about this server: "mailto:…" or "https://…". Empty: derived from public_url.
    vapid_subject: Annotated[str, msgspec.Meta(pattern=r"^((mailto:|https://)\S+)?$")] = ""
    link_ttl_days: PositiveInt = 30
    session_ttl_days: PositiveInt = 7
    magic_link_per_address: PositiveInt = 5
    magic_link_per_ip: PositiveInt = 30
    magic_link_window_s: PositiveInt = 900
    upload_max_bytes: PositiveInt = 5 * 1024 * 1024
    # What one signed-in person may upload in any 24 hours: a count (beyond it 429 ``upload_quota``) and
    # a total size (beyond it 413 ``upload_quota_bytes``), so one login cannot fill the database.
    upload_quota_count: PositiveInt = 100
    upload_quota_bytes: PositiveInt = 100 * 1024 * 1024
    pull_page_limit: Annotated[int, msgspec.Meta(ge=10, le=50000)] = PULL_PAGE
    static_dir: str = "client_pwa/dist"
    # How long a server process holds an effect it is carrying out (a charge, an SMS) before another may
    # take it over, e.g. after that process died (server/effects/).
    effect_lease_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 30.0
    # A card payment left waiting for the customer (3-D Secure) this long is cancelled and its amount
    # released for paying again (server/billing/expiry.py). At least 5 minutes: well past the Stripe
    # SDK's 80 s request timeout, so a charge still on its way is never expired under it.
    pending_payment_expiry_s: Annotated[int, msgspec.Meta(ge=300, le=7 * 86400)] = 3600

    # Hosts or CIDRs the outbound guard lets the server connect to although they are not public
    # (server/outbound.py), e.g. a loopback receiver in tests. Environment: comma-separated.
    outbound_allow: list[str] = []

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgres")


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the key."""


def check_for_serving(settings: Settings) -> None:
    """What a serving process needs beyond well-formed values."""
    if not settings.dev_mode and settings.secret_key == DEV_SECRET:
        raise SettingsError("secret_key: set your own secret (HAULPORT_SECRET_KEY) unless dev_mode is on")
    if not settings.dev_mode and settings.stripe_secret_key and settings.stripe_webhook_secret in WEAK_WEBHOOK_SECRETS:
        raise SettingsError(
            "stripe_webhook_secret: set the signing secret of your Stripe webhook endpoint "
            "(HAULPORT_STRIPE_WEBHOOK_SECRET, whsec_…); without it forged events could be accepted"
        )

    check_notify_urls(settings)
    from server.outbound import check_allow_list

    try:
        check_allow_list(settings.outbound_allow)
    except ValueError as exc:
        raise SettingsError(f"outbound_allow: {exc}") from None


# A stand-in recipient for checking that a provider URL is one the provider can use.
_SAMPLE_RECIPIENT = {"notify_email_url": "someone@example.com", "notify_sms_url": "+15555550123"}


def check_notify_urls(settings: Settings) -> None:
    """Each provider URL must say where the recipient goes (``{to}``): without it, apprise sends every
    message (everyone's login link) to one fixed address, such as the sender's."""
    import apprise

    for key, sample in _SAMPLE_RECIPIENT.items():
        url = getattr(settings, key)
        if not url:
            continue
        if "{to}" not in url:
            raise SettingsError(
                f"{key}: the URL must contain {{to}} where the recipient goes (e.g. ...&to={{to}}); "
                "without it every message, login links included, would go to one fixed address"
            )
        if not apprise.Apprise().add(url.replace("{to}", sample)):
            raise SettingsError(f"{key}: not a provider URL apprise can send with (see the apprise URL formats)")


_LIST_KEYS = frozenset({"outbound_allow"})


def _from_env(env: dict[str, str]) -> dict[str, object]:
    fields = msgspec.structs.fields(Settings)
    out: dict[str, object] = {}
    for field in fields:
        raw = env.get(f"HAULPORT_{field.name.upper()}")
        if raw is None:
            continue
        out[field.name] = [v.strip() for v in raw.split(",") if v.strip()] if field.name in _LIST_KEYS else raw
    return out


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Read ``litestar.toml`` (or ``path``), then ``HAULPORT_*`` variables, then ``overrides``."""
    env = dict(os.environ) if env is None else env
    path = Path(path or env.get("HAULPORT_CONFIG", "litestar.toml"))
    values: dict[str, object] = {}
    if path.exists():
        try:
            values.update(tomllib.loads(path.read_text()))
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    values.update(_from_env(env))
    values.update(overrides)
    try:
        # strict=False lets "true"/"30" from the environment become bool/int.
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"bad setting: {exc} (set it in {path} or HAULPORT_<KEY>)") from None
