import { db, type Draft } from '../data/db'
import { draftPath } from '../data/drafts'
import { useLiveQuery } from '../data/queries'
import { actionRefused, say } from '../lib/words'
import { Link } from '../router'

/** On the screen an action was made from: its refused drafts, each a link to change and send it again. */
export function DraftsHere({ names, match }: { names: string[]; match?: (draft: Draft) => boolean }) {
  const drafts = useLiveQuery(() => db().drafts.toArray(), [], { secondary: true }) ?? []
  const here = drafts.filter((d) => names.includes(d.name) && (!match || match(d)))
  if (!here.length) return null
  return (
    <ul class="plain-list" aria-label="Not accepted, waiting for you">
      {here.map((d) => (
        <li key={d.key} class="draft-note">
          {actionRefused(d.name)}: {say(d.error.code, d.args)} <Link to={draftPath(d)}>Change it and send it again</Link>
        </li>
      ))}
    </ul>
  )
}
