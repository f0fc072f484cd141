/**
 * Renders the schema's defaults as a commented TOML file: the source of config.toml and of
 * `bloop config defaults`. A test keeps config.toml equal to this output, so the schema
 * stays the single source of keys, defaults and reasons.
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { ConfigSchema } from './schema'

function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`
  if (typeof v === 'object' && v !== null) {
    const entries = Object.entries(v).map(([k, x]) => `${k} = ${tomlValue(x)}`)
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
  }
  return String(v)
}

/** A key holding a table of its own keys (`[section.key]`), as opposed to a value. */
const isSubsection = (schema: TSchema): schema is TObject =>
  schema.type === 'object' && schema.properties !== undefined

function wrap(text: string, width = 88): string[] {
  const out: string[] = []
  let line = '#'
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > width && line !== '#') {
      out.push(line)
      line = '#'
    }
    line += ` ${word}`
  }
  out.push(line)
  return out
}

export function renderDefaultConfig(): string {
  const defaults = Value.Default(ConfigSchema, {}) as Record<string, Record<string, unknown>>
  const out = [
    '# bloop configuration. Every key is shown with its default and the reason for it.',
    '# Any key can be overridden with an environment variable BLOOP__SECTION__KEY,',
    '# e.g. BLOOP__SERVER__PORT=8080. Unknown keys stop startup with the key named.',
  ]
  const render = (name: string, schema: TObject, values: Record<string, unknown> | undefined) => {
    out.push('', `[${name}]`)
    const entries = Object.entries(schema.properties as Record<string, TSchema>)
    // A table's own keys come before its sub-tables: in TOML a key after `[a.b]` belongs to it.
    for (const [key, keySchema] of entries) {
      if (isSubsection(keySchema)) continue
      if (keySchema.description) out.push(...wrap(keySchema.description))
      out.push(`${key} = ${tomlValue(values?.[key])}`)
    }
    for (const [key, keySchema] of entries) {
      if (isSubsection(keySchema))
        render(`${name}.${key}`, keySchema, values?.[key] as Record<string, unknown> | undefined)
    }
  }
  for (const [section, schema] of Object.entries(ConfigSchema.properties as Record<string, TObject>))
    render(section, schema, defaults[section])
  return `${out.join('\n')}\n`
}
