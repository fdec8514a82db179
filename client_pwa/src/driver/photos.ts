import { ApiError, getSessionToken } from '../data/api'
import { db } from '../data/db'
import { readRow, readRows } from '../data/packs'
import { reportDbError } from '../data/db-errors'
import { newId } from '../lib/ids'
import { mutate } from '../portal'
import { driverDb, type LocalPhoto } from './driver-db'
import { say } from '../lib/words'

// Job photos (PROTOCOL.md: `job.add_photo` after `POST /api/uploads`). A photo is stored on the
// phone first, uploaded when there is a connection, and only then is its `job.add_photo` queued:
// the mutation can never reach the server (not even through the service worker's Background
// Sync) before the file it points at. The upload id is the photo's id, so a retried upload is
// the same upload, and `job.add_photo` of the same photo twice is a no-op on the server.

const MAX_EDGE = 1600
const KEEP_AS_IS_BYTES = 600_000

/** Store a camera photo for a job; returns the stored photo. Throws if the phone cannot keep it. */
export async function keepPhoto(owner: string, jobId: string, stage: LocalPhoto['stage'], file: File): Promise<LocalPhoto> {
  const blob = await shrink(file)
  const photo: LocalPhoto = {
    id: newId(), owner, job_id: jobId, stage, taken_at: new Date().toISOString(),
    blob, type: blob.type || file.type || 'image/jpeg', state: 'waiting',
  }
  await driverDb().photos.add(photo)
  void uploadPhotos(owner)
  return photo
}

/** Phone cameras make 3–12 MB photos; 1600 px JPEG is plenty for a job record and uploads on 3G. */
async function shrink(file: File): Promise<Blob> {
  if (file.size <= KEEP_AS_IS_BYTES && /^image\/(jpeg|png|webp|gif)$/.test(file.type)) return file
  try {
    const bitmap = await createImageBitmap(file)
    const scale = Math.min(1, MAX_EDGE / Math.max(bitmap.width, bitmap.height))
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(bitmap.width * scale)
    canvas.height = Math.round(bitmap.height * scale)
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height)
    bitmap.close()
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.82))
    return blob ?? file
  } catch {
    return file // not decodable here (e.g. HEIC): upload it as it is; the server says if it refuses it
  }
}

let running: Promise<void> | null = null
let again = false

/** Upload this driver's waiting photos, oldest first; safe to call often (one run at a time). */
export function uploadPhotos(owner: string): Promise<void> {
  if (running) {
    again = true
    return running
  }
  running = (async () => {
    do {
      again = false
      await uploadRound(owner)
    } while (again)
  })()
    .catch(reportDbError)
    .finally(() => {
      running = null
    })
  return running
}

async function uploadRound(owner: string): Promise<void> {
  const photos = driverDb().photos
  const waiting = (await photos.where('state').equals('waiting').toArray())
    .filter((p) => p.owner === owner)
    .sort((a, b) => a.taken_at.localeCompare(b.taken_at))
  for (const photo of waiting) {
    if (!navigator.onLine) return
    try {
      await uploadFile(photo)
    } catch (error) {
      if (!(error instanceof ApiError) || error.isNetwork || error.status >= 500 || [401, 403, 408, 429].includes(error.status)) {
        return // try again later (offline, server trouble, signed out): the photo stays waiting
      }
      await photos.update(photo.id, { state: 'failed', error: say(error.code) })
      continue
    }
    await queueAttach(photo)
    await photos.update(photo.id, { state: 'uploaded' })
  }
  await forgetAttached(owner)
}

async function uploadFile(photo: LocalPhoto): Promise<void> {
  const form = new FormData()
  const extension = photo.type.split('/')[1]?.replace('jpeg', 'jpg') || 'jpg'
  form.append('data', new File([photo.blob], `${photo.id}.${extension}`, { type: photo.type }))
  const token = getSessionToken()
  let response: Response
  try {
    response = await fetch(`/api/uploads?id=${encodeURIComponent(photo.id)}`, {
      method: 'POST', body: form, credentials: 'same-origin', headers: token ? { Authorization: `Bearer ${token}` } : {},
    })
  } catch {
    throw new ApiError(0, 'network_error', 'Could not reach the server.')
  }
  if (response.ok) return
  const body = await response.json().catch(() => null) as { error?: { code?: string; message?: string } } | null
  throw new ApiError(response.status, body?.error?.code ?? `http_${response.status}`, body?.error?.message ?? `The server answered ${response.status}.`)
}

/** Queue `job.add_photo` unless it already is (a crash between the two steps must not queue it twice). */
async function queueAttach(photo: LocalPhoto): Promise<void> {
  const queued = await db().queue.filter((m) => m.name === 'job.add_photo' && m.args.photo_id === photo.id).count()
  if (queued) return
  await mutate('job.add_photo', { job_id: photo.job_id, photo_id: photo.id, stage: photo.stage, taken_at: photo.taken_at })
}

/** Drop local copies once the synced job row (not the optimistic overlay) has the photo; show the
 *  reason when the server refused to attach it (e.g. the job moved to another truck). */
async function forgetAttached(owner: string): Promise<void> {
  const uploaded = (await driverDb().photos.where('state').equals('uploaded').toArray()).filter((p) => p.owner === owner)
  if (!uploaded.length) return
  const rejections = await readRows(db(), 'mutation_rejection')
  for (const photo of uploaded) {
    const job = await readRow(db(), 'job', photo.job_id)
    const photos = (job?.photos ?? []) as { id?: string }[]
    if (photos.some((p) => p.id === photo.id)) {
      await driverDb().photos.delete(photo.id)
      continue
    }
    const refused = rejections.find((r) => (r.args as { photo_id?: string } | undefined)?.photo_id === photo.id)
    if (refused) {
      const error = refused.error as { code?: string } | undefined
      await driverDb().photos.update(photo.id, { state: 'failed', error: say(error?.code) })
    }
  }
}

/** The driver removes a photo the server refused (or one taken by mistake, before it is sent). */
export async function discardPhoto(id: string): Promise<void> {
  const photo = await driverDb().photos.get(id)
  if (photo && photo.state !== 'uploaded') await driverDb().photos.delete(id)
}
