import Dexie, { type Table } from 'dexie'
import { DATABASE_PREFIX } from '../generated/constants'

// What a driver's phone keeps besides the replica: photos not yet attached to their job and GPS
// fixes not yet acknowledged by the server. A database of its own (haulport-<slug>-driver), so the
// shared replica schema stays as it is; rows carry their owner, so a second driver signing in on
// the same phone never uploads the first one's work under their own name.

/** A photo taken on this phone. `waiting`: stored, not uploaded; `uploaded`: on the server and its
 *  `job.add_photo` is queued (the blob stays until the synced job shows the photo); `failed`: the
 *  server refused the file (the driver sees why and may remove it). */
export interface LocalPhoto {
  id: string
  owner: string
  job_id: string
  stage: 'before' | 'during' | 'after'
  taken_at: string
  blob: Blob
  type: string
  state: 'waiting' | 'uploaded' | 'failed'
  error?: string
}

/** One position as POST /api/driver/gps and the live socket take it (PROTOCOL.md "Live channel"). */
export interface Fix {
  lat: number
  lng: number
  heading: number | null
  speed_mps: number | null
  accuracy_m: number | null
  at: string
}

export interface StoredFix {
  seq?: number
  owner: string
  fix: Fix
}

export class DriverDb extends Dexie {
  photos!: Table<LocalPhoto, string>
  fixes!: Table<StoredFix, number>

  constructor(name: string) {
    super(name)
    this.version(1).stores({ photos: 'id, job_id, state, owner', fixes: '++seq, owner' })
  }
}

let current: DriverDb | null = null

export function openDriverDb(slug: string): DriverDb {
  const name = `${DATABASE_PREFIX}${slug}-driver`
  if (current?.name !== name) {
    current?.close()
    current = new DriverDb(name)
  }
  return current
}

export function driverDb(): DriverDb {
  if (!current) throw new Error('driver database not opened yet')
  return current
}
