/**
 * Grafana's template-variable interpolation, as it is applied to a ClickHouse query before the
 * plugin's backend sees it: `$name`, `${name}` and `${name:format}` are replaced by the
 * variable's value; names that are no variable (the plugin's `$__` macros) are left alone.
 * Without a format the ClickHouse plugin formats the value itself (CHDatasource `format`):
 * several values become `'a','b'` (not escaped), one value is inserted as it is. The formats
 * are Grafana's (formatRegistry): singlequote escapes `'` as `\'`, sqlstring as `''`.
 */
export type VariableValue = string | readonly string[]

const each = (value: VariableValue) => (typeof value === 'string' ? [value] : value)

const formats: Readonly<Record<string, (value: VariableValue) => string>> = {
  raw: (v) => each(v).join(','),
  csv: (v) => each(v).join(','),
  pipe: (v) => each(v).join('|'),
  json: (v) => JSON.stringify(v),
  singlequote: (v) =>
    each(v)
      .map((s) => `'${s.replaceAll("'", "\\'")}'`)
      .join(','),
  doublequote: (v) =>
    each(v)
      .map((s) => `"${s.replaceAll('"', '\\"')}"`)
      .join(','),
  sqlstring: (v) =>
    each(v)
      .map((s) => `'${s.replaceAll("'", "''")}'`)
      .join(','),
}

/** The ClickHouse plugin's own formatting, for references without a format. */
const pluginFormat = (value: VariableValue) =>
  typeof value === 'string' ? value : `'${value.join("','")}'`

/** Grafana's variable syntax: `$name`, `[[name:format]]`, `${name.field:format}`. */
const reference = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g

export function interpolateVariables(
  text: string,
  values: Readonly<Record<string, VariableValue>>,
): string {
  return text.replace(
    reference,
    (whole, plain, bracketName, bracketFormat, name, field, format) => {
      const variable = plain ?? bracketName ?? name
      const value = values[variable]
      if (value === undefined) return whole
      if (field) throw new Error(`\${${variable}.${field}}: field paths are not supported here`)
      const chosen = bracketFormat ?? format
      if (!chosen) return pluginFormat(value)
      const apply = formats[chosen]
      if (!apply) throw new Error(`\${${variable}:${chosen}}: format not supported here`)
      return apply(value)
    },
  )
}

/** Names of the variables `text` refers to (whether or not they exist). */
export function referencedVariables(text: string): string[] {
  return [...text.matchAll(reference)].map((m) => (m[1] ?? m[2] ?? m[4])!)
}

/** References to `name` that give no explicit format. */
export function unformattedReferences(text: string, name: string): number {
  return [...text.matchAll(reference)].filter(
    (m) => (m[1] ?? m[2] ?? m[4]) === name && !(m[3] ?? m[6]),
  ).length
}
