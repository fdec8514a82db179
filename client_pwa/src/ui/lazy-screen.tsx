import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { Loading } from './empty-state'

type ScreenProps = { params: Record<string, string> }

/**
 * A screen whose code is fetched the first time it is opened (a chunk of its own), so the first
 * paint of the portal parses only what the dashboard needs. The service worker precaches every
 * chunk, so lazy screens open offline too.
 */
export function lazyScreen(load: () => Promise<ComponentType<ScreenProps>>): ComponentType<ScreenProps> {
  let loaded: ComponentType<ScreenProps> | null = null
  return function LazyScreen(props: ScreenProps) {
    const [Screen, setScreen] = useState<ComponentType<ScreenProps> | null>(() => loaded)
    const [failed, setFailed] = useState(false)
    useEffect(() => {
      if (Screen) return
      load()
        .then((component) => {
          loaded = component
          setScreen(() => component)
        })
        .catch(() => setFailed(true))
    }, [])
    if (failed) {
      return (
        <section class="screen narrow centered" role="alert">
          <p>This screen could not be loaded. Reload the page when you are back online.</p>
        </section>
      )
    }
    return Screen ? <Screen {...props} /> : <Loading />
  }
}
