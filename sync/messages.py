"""The push and pull messages (PROTOCOL.md "Sync")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from sync.entities import END, SCHEMA_VERSION

# What every client of the protocol shares (the PWA's copies are generated from these).
MAX_PUSH = 500  # mutations in one push request
PUSH_BATCH = 50  # mutations a client sends per push
PULL_PAGE = 5000  # rows per pull page (the server's default ``pull_page_limit``)
CLIENT_DATABASE_PREFIX = "haulport-"  # a client's local replica of one tenant: haulport-<slug>

ClientId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+" + END)]


class Mutation(msgspec.Struct, kw_only=True, frozen=True):
    id: Annotated[int, msgspec.Meta(ge=1, le=2**53)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    args: dict[str, Any] = {}
    created_at: str = ""


class PushRequest(msgspec.Struct, kw_only=True, frozen=True):
    client_id: ClientId
    schema_version: int = SCHEMA_VERSION
    mutations: Annotated[list[Mutation], msgspec.Meta(max_length=MAX_PUSH)] = []


class ResultError(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    message: str


class MutationResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: int
    status: Literal["applied", "rejected", "skipped"]
    error: ResultError | None = None


class PushResponse(msgspec.Struct, kw_only=True):
    last_mutation_id: int
    results: list[MutationResult]
    # True when a gap (an id beyond last_mutation_id + 1) stopped the batch.
    stopped_at_gap: bool = False


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    entity: str
    id: str
    op: Literal["put", "del"]
    version: int | None = None
    # The row (a JSON object) for "put". The server may put the row's stored JSON here as a
    # ``msgspec.Raw`` (encoded as is); it is declared as what goes on the wire.
    data: dict[str, Any] | None = None


class PullResponse(msgspec.Struct, kw_only=True):
    cursor: str
    more: bool
    reset: bool
    schema_version: int
    last_mutation_id: int
    changes: list[Change]
