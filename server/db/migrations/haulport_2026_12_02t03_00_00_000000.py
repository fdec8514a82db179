"""Import keys, API keys and outbound webhooks (server-only bookkeeping, never synced).

external_key: an imported row's id in the system it came from (server/dataio/); api_key: hashed
office-API keys; webhook_endpoint / webhook_delivery / webhook_attempt: the webhook outbox and its
attempt log (server/integrations/)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Integer, Text, Varchar

from server.db.migration_tables import add_tables

ID = "2026-12-02T03:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "external_key, api_key, webhook_endpoint, webhook_delivery, webhook_attempt"

# table → (class name, [(column, class, length or None, primary key, indexed, nullable)])
TABLES = {
    "external_key": (
        "ExternalKey",
        [
            ("id", Varchar, 400, True, False, False),
            ("tenant_id", Varchar, 64, False, True, False),
            ("entity", Varchar, 40, False, False, False),
            ("external_id", Varchar, 255, False, False, False),
            ("row_id", Varchar, 64, False, True, False),
        ],
    ),
    "api_key": (
        "ApiKey",
        [
            ("id", Varchar, 64, True, False, False),
            ("tenant_id", Varchar, 64, False, True, False),
            ("name", Varchar, 200, False, False, False),
            ("prefix", Varchar, 40, False, False, False),
            ("secret_hash", Varchar, 64, False, False, False),
            ("scope", Varchar, 20, False, False, False),
            ("created_by", Varchar, 200, False, False, False),
            ("created_at", Varchar, 40, False, False, False),
            ("last_used_at", Varchar, 40, False, False, True),
            ("revoked_at", Varchar, 40, False, False, True),
        ],
    ),
    "webhook_endpoint": (
        "WebhookEndpoint",
        [
            ("id", Varchar, 64, True, False, False),
            ("tenant_id", Varchar, 64, False, True, False),
            ("url", Text, None, False, False, False),
            ("events", Text, None, False, False, False),
            ("secret", Varchar, 100, False, False, False),
            ("description", Text, None, False, False, False),
            ("active", Boolean, None, False, False, False),
            ("created_at", Varchar, 40, False, False, False),
        ],
    ),
    "webhook_delivery": (
        "WebhookDelivery",
        [
            ("id", Varchar, 64, True, False, False),
            ("tenant_id", Varchar, 64, False, True, False),
            ("endpoint_id", Varchar, 64, False, True, False),
            ("event_id", Varchar, 64, False, False, False),
            ("type", Varchar, 60, False, False, False),
            ("body", Text, None, False, False, False),
            ("status", Varchar, 20, False, True, False),
            ("attempts", Integer, None, False, False, False),
            ("next_attempt_at", Varchar, 40, False, True, False),
            ("last_status_code", Integer, None, False, False, True),
            ("last_error", Text, None, False, False, False),
            ("created_at", Varchar, 40, False, False, False),
            ("delivered_at", Varchar, 40, False, False, True),
        ],
    ),
    "webhook_attempt": (
        "WebhookAttempt",
        [
            ("id", Varchar, 64, True, False, False),
            ("tenant_id", Varchar, 64, False, False, False),
            ("delivery_id", Varchar, 64, False, True, False),
            ("at", Varchar, 40, False, False, False),
            ("status_code", Integer, None, False, False, True),
            ("error", Text, None, False, False, False),
            ("duration_ms", Integer, None, False, False, False),
        ],
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="haulport", description=DESCRIPTION)
    add_tables(manager, TABLES)
    return manager
