/**
 * The filter bar of the issues list. Every change goes straight into the URL (replacing
 * the history entry), which is the single source of the list's state. Text filters apply
 * on Enter or when the field loses focus; suggestions come from the issues on screen.
 */
import { useState } from 'preact/hooks'
import { setQuery } from '../../lib/router'
import {
  ASSIGNED,
  type Assigned,
  filterParams,
  RANGES,
  type Range,
  SORTS,
  type Sort,
  STATUSES,
  type ViewFilters,
} from './filterState'

export interface Suggestions {
  releases: string[]
  environments: string[]
  sources: string[]
  routes: string[]
}

const TEXT_FIELDS = [
  { key: 'release', label: 'Release', list: 'releases' },
  { key: 'environment', label: 'Environment', list: 'environments' },
  { key: 'source', label: 'Source', list: 'sources' },
  { key: 'route', label: 'Route', list: 'routes' },
] as const

export function Filters({ filters, suggestions }: { filters: ViewFilters; suggestions: Suggestions }) {
  const apply = (patch: Partial<ViewFilters>) =>
    setQuery(filterParams({ ...filters, ...patch, offset: 0 }), { replace: true })
  const active = TEXT_FIELDS.filter((f) => filters[f.key]).length
  // On a phone the text filters fold away until asked for (or while one is set).
  const [open, setOpen] = useState(false)

  return (
    <form
      class={`filters${open || active > 0 ? ' expanded' : ''}`}
      aria-label="Filters"
      onSubmit={(ev) => ev.preventDefault()}
    >
      <label class="field">
        <span>Status</span>
        <select
          name="status"
          value={filters.status}
          onChange={(ev) =>
            apply({ status: (ev.target as HTMLSelectElement).value as ViewFilters['status'] })
          }
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === 'all' ? 'Any status' : s[0]?.toUpperCase() + s.slice(1)}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Assigned</span>
        <select
          name="assigned"
          value={filters.assigned}
          onChange={(ev) => apply({ assigned: (ev.target as HTMLSelectElement).value as Assigned })}
        >
          {Object.entries(ASSIGNED).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {TEXT_FIELDS.map((f) => (
        <label class="field optional" key={f.key}>
          <span>{f.label}</span>
          <input
            name={f.key}
            type="search"
            list={`suggest-${f.list}`}
            value={filters[f.key]}
            placeholder="any"
            onChange={(ev) => apply({ [f.key]: (ev.target as HTMLInputElement).value.trim() })}
          />
          <datalist id={`suggest-${f.list}`}>
            {suggestions[f.list].map((v) => (
              <option key={v} value={v} />
            ))}
          </datalist>
        </label>
      ))}
      <label class="field">
        <span>Last seen</span>
        <select
          name="range"
          value={filters.range}
          onChange={(ev) => apply({ range: (ev.target as HTMLSelectElement).value as Range | '' })}
        >
          <option value="">Any time</option>
          {Object.entries(RANGES).map(([k, r]) => (
            <option key={k} value={k}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Sort by</span>
        <select
          name="sort"
          value={filters.sort}
          onChange={(ev) => apply({ sort: (ev.target as HTMLSelectElement).value as Sort })}
        >
          {Object.entries(SORTS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <div class="filters-actions">
        <button
          type="button"
          class="btn small filters-toggle"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? 'Fewer filters' : 'More filters'}
        </button>
        <button type="button" class="btn small" onClick={() => setQuery(filterParams({}), { replace: true })}>
          Reset
        </button>
      </div>
    </form>
  )
}
