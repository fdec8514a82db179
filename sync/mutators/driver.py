"""Driver mutations: status taps and photos, queued offline on the phone."""

from __future__ import annotations

from typing import Literal

import msgspec

from sync.entities import Instant
from sync.mutators.common import notify
from sync.mutators.context import Context
from sync.mutators.registry import DRIVER, mutator
from sync.rules import Rejected, advance_job

STATUS_EVENTS = {
    "en_route": ("en_route", "Your truck is on the way"),
    "in_progress": ("in_progress", "Work has started"),
    "completed": ("work_complete", "Work complete"),
}


async def _drivers_job(ctx: Context, job_id: str) -> dict:
    if not ctx.actor.truck_id:  # a driver with no truck has no jobs (None == None would match unassigned ones)
        raise Rejected("no_truck", "you are not assigned to a truck yet; ask the office to assign you one")
    job = await ctx.tx.get("job", job_id) if isinstance(job_id, str) else None
    if job is None or job.get("truck_id") != ctx.actor.truck_id:
        raise Rejected("not_found", "that job is not on your truck")
    return job


class AdvanceArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    job_id: str
    status: Literal["confirmed", "en_route", "in_progress", "completed"]
    at: Instant


@mutator("job.advance", AdvanceArgs, DRIVER)
async def advance(ctx: Context, a: AdvanceArgs) -> None:
    """Move a job forward at the tap's time; a late, older tap is recorded but never moves it back."""
    job = await _drivers_job(ctx, a.job_id)
    changes = advance_job(job, a.status, a.at, ctx.actor.name)
    job = await ctx.tx.update("job", job, **changes)
    if "status" in changes and a.status in STATUS_EVENTS:
        kind, title = STATUS_EVENTS[a.status]
        await notify(
            ctx,
            kind,
            job["account_id"],
            f"{title}: job {job['number']}",
            f"Truck {job.get('truck_name') or ''}".strip() + ".",
            f"/jobs/{job['id']}",
            job["site_id"],
        )


class PhotoArgs(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    job_id: str
    photo_id: str
    stage: Literal["before", "during", "after"]
    taken_at: Instant


@mutator("job.add_photo", PhotoArgs, DRIVER)
async def add_photo(ctx: Context, a: PhotoArgs) -> None:
    """Attach an uploaded photo (``POST /api/uploads``) to a job; the same photo twice is a no-op."""
    job = await _drivers_job(ctx, a.job_id)
    if any(p.get("id") == a.photo_id for p in job["photos"]):
        return
    uploads = getattr(ctx.tx, "upload_exists", None)
    if ctx.tx.authoritative and uploads is not None and not await uploads(a.photo_id, ctx.actor.person_id):
        raise Rejected("upload_missing", "upload the photo first (POST /api/uploads)")
    photo = {"id": a.photo_id, "url": f"/api/uploads/{a.photo_id}", "stage": a.stage, "taken_at": a.taken_at}
    await ctx.tx.update("job", job, photos=[*job["photos"], photo])
