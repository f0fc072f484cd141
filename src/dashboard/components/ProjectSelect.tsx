/** A <select> of the projects the user can see, valued by slug (settings forms and the header). */
import { projects } from '../lib/session'

export function ProjectSelect({
  id,
  label,
  value,
  onChange,
  allOption,
}: {
  id?: string
  /** Accessible name when no visible <label> wraps the select. */
  label?: string
  value: string
  onChange: (slug: string) => void
  /** Text of an extra first option with the value "" (e.g. "All projects"). */
  allOption?: string
}) {
  return (
    <select
      id={id}
      aria-label={label}
      value={value}
      onChange={(ev) => onChange((ev.target as HTMLSelectElement).value)}
    >
      {allOption !== undefined && <option value="">{allOption}</option>}
      {projects.value.map((p) => (
        <option key={p.id} value={p.slug}>
          {p.name}
        </option>
      ))}
    </select>
  )
}
