"""The address fields people type to log in or change their address (shared by the auth routes)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from sync.entities import END, NOT_BLANK_OR_AT, PHONE_PATTERN

Email = Annotated[str, msgspec.Meta(max_length=254, pattern=f"^ *{NOT_BLANK_OR_AT}+@{NOT_BLANK_OR_AT}+ *{END}")]
Phone = Annotated[str, msgspec.Meta(pattern=PHONE_PATTERN)]
