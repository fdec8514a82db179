import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { useEntity, useIndex, useLiveQuery, usePendingCount } from '../data/queries'
import type { Account, Job, ServiceType, Site, TimeSlot, Truck } from '../generated/wire'
import { logout, syncNow } from '../portal'
import { Link, matchRoute, useLocation } from '../router'
import { tenantToday, useAppState } from '../state/app-state'
import { askConfirm } from '../ui/dialog'
import { Banners } from '../ui/banners'
import { brandName } from '../ui/branding'
import { EmptyState, Loading } from '../ui/empty-state'
import { openDriverDb, driverDb } from './driver-db'
import { GpsStreamer, type GpsState } from './gps'
import { DriverJobCard, DriverJobScreen, type Lookups } from './job-views'
import { uploadPhotos } from './photos'
import { groupRoute, isUnderWay } from './route'
import './driver.css'

// The driver's face (role driver): today's route for their truck, one-tap status, photos, GPS.
// Everything reads the offline replica and writes through the mutation queue, so it keeps
// working in dead zones and from a cold start with no network.

const UPLOAD_EVERY_MS = 20_000

export default function DriverApp() {
  const state = useAppState()
  const owner = state.session?.contact.id ?? ''
  const truckId = state.me?.truck_id ?? null
  useMemo(() => openDriverDb(state.slug), [state.slug])

  const allJobs = useEntity<Job>('job')
  const jobs = useMemo(() => (allJobs ?? []).filter((job) => !truckId || job.truck_id === truckId), [allJobs, truckId])
  const lookups = useLookups()
  const gps = useGps(owner, jobs.some(isUnderWay))
  usePhotoUploads(owner, state.sync.phase)

  const { rest } = useLocation()
  const match = matchRoute([{ path: '' }, { path: 'job/:id' }], rest)
  const truck = truckId ? lookups.trucks.get(truckId) : undefined

  return (
    <div class="app driver-app">
      <header class="app-header">
        <Link to="" class="brand">{brandName(state.tenant)}</Link>
        <div class="header-tools">
          <SyncChip />
          <span class={`net-dot ${state.online ? 'on' : 'off'}`} role="img" aria-label={state.online ? 'Online' : 'Offline'} title={state.online ? 'Online' : 'Offline'} />
        </div>
        <div class="account-bar">
          <span>{state.session?.contact.name}{truck ? ` · Truck ${truck.name}` : truckId ? '' : ' · no truck assigned'}</span>
          <LogoutButton owner={owner} />
        </div>
      </header>
      <Banners />
      <GpsBanner state={gps} />
      <main id="main" tabIndex={-1}>
        {allJobs === undefined ? <Loading /> : match?.route.path === 'job/:id' ? (
          <DriverJobScreen job={jobs.find((j) => j.id === match.params.id) ?? null} lookups={lookups} owner={owner} />
        ) : (
          <RouteScreen jobs={jobs} lookups={lookups} today={tenantToday(state)} hasTruck={!state.me || Boolean(truckId)} />
        )}
      </main>
    </div>
  )
}

function RouteScreen({ jobs, lookups, today, hasTruck }: { jobs: Job[]; lookups: Lookups; today: string; hasTruck: boolean }) {
  const groups = groupRoute(jobs, today, lookups.slots)
  if (!hasTruck) return <EmptyState title="No truck assigned"><p>Ask the office to assign you a truck; your jobs show up here.</p></EmptyState>
  if (!groups.length) return <EmptyState title="No jobs on your truck">Tap the sync status at the top to check again.</EmptyState>
  return (
    <section class="screen driver-route">
      {groups.map((group) => (
        <div key={group.key} class="route-day">
          <h2>{group.title} <span class="muted small">({group.jobs.length})</span></h2>
          <ol class="card-list" role="list">
            {group.jobs.map((job, i) => <DriverJobCard key={job.id} job={job} stop={i + 1} lookups={lookups} />)}
          </ol>
        </div>
      ))}
    </section>
  )
}

function useLookups(): Lookups {
  const sites = useIndex<Site>('site')
  const accounts = useIndex<Account>('account')
  const slots = useIndex<TimeSlot>('time_slot')
  const services = useIndex<ServiceType>('service_type')
  const trucks = useIndex<Truck>('truck')
  return { sites, accounts, slots, services, trucks }
}

/** Streams GPS while a job is under way; returns what the driver should know about it. */
function useGps(owner: string, active: boolean): GpsState {
  const streamer = useRef<GpsStreamer | null>(null)
  const [state, setState] = useState<GpsState>('off')
  useEffect(() => {
    if (!owner) return
    const gps = new GpsStreamer(owner)
    streamer.current = gps
    const off = gps.onState(setState)
    return () => {
      off()
      gps.dispose()
      streamer.current = null
    }
  }, [owner])
  useEffect(() => streamer.current?.setActive(active), [active, owner])
  return state
}

/** Photos go up on start, when the network returns, after each successful sync and every 20 s. */
function usePhotoUploads(owner: string, syncPhase: string): void {
  useEffect(() => {
    if (!owner) return
    const run = () => void uploadPhotos(owner)
    run()
    window.addEventListener('online', run)
    const timer = setInterval(run, UPLOAD_EVERY_MS)
    return () => {
      window.removeEventListener('online', run)
      clearInterval(timer)
    }
  }, [owner])
  useEffect(() => {
    if (owner && syncPhase === 'idle') void uploadPhotos(owner)
  }, [owner, syncPhase])
}

function GpsBanner({ state }: { state: GpsState }) {
  const waiting = useLiveQuery(() => driverDb().fixes.count(), []) ?? 0
  const { online } = useAppState()
  const text: Partial<Record<GpsState, string>> = {
    starting: 'Finding your location…',
    on: 'Sharing your location with customers while a job is under way.',
    denied: 'Location is blocked: customers cannot see the truck. Allow location for this site in your browser settings.',
    unavailable: 'Your location is not available right now; it will be shared again when the phone finds it.',
    unsupported: 'This browser cannot share its location.',
  }
  if (state === 'off' && !waiting) return null
  const bad = state === 'denied' || state === 'unavailable' || state === 'unsupported'
  return (
    <div class={`banner ${bad ? 'banner-warn' : 'banner-info'} gps-banner`} role="status">
      {text[state]}
      {waiting > 0 && ` ${waiting} position${waiting === 1 ? '' : 's'} ${online ? 'sending' : 'saved; they upload when you are back online'}.`}
    </div>
  )
}

function SyncChip() {
  const { sync, online } = useAppState()
  const pending = usePendingCount()
  const photos = useLiveQuery(() => driverDb().photos.where('state').equals('waiting').count(), []) ?? 0
  const waiting = pending + photos
  const label = !online ? (waiting ? `${waiting} to send` : 'Offline') : sync.phase === 'syncing' ? 'Syncing…' : waiting ? `${waiting} to send` : 'Up to date'
  return (
    <button type="button" class="sync-chip" onClick={() => void syncNow()} title="Sync now" aria-label={`Sync status: ${label}. Sync now`}>
      {label}
    </button>
  )
}

/** Logging out wipes this phone's copy; never silently with work not yet sent. */
function LogoutButton({ owner }: { owner: string }) {
  const pending = usePendingCount()
  async function signOut() {
    const photos = await driverDb().photos.where('owner').equals(owner).filter((p) => p.state === 'waiting').count()
    const unsent = pending + photos
    if (unsent && !(await askConfirm({
      title: 'Log out with work not sent?',
      body: `${unsent} ${unsent === 1 ? 'change' : 'changes'} (status taps or photos) ${unsent === 1 ? 'has' : 'have'} not been sent yet and will be lost.`,
      confirmLabel: 'Log out anyway', cancelLabel: 'Stay signed in', danger: true,
    }))) return
    await driverDb().photos.where('owner').equals(owner).delete()
    await driverDb().fixes.where('owner').equals(owner).delete()
    await logout()
  }
  return <button type="button" class="link-button" onClick={() => void signOut()}>Log out</button>
}
