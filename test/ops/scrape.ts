/**
 * A process's `/metrics` read as Prometheus reads it (the text exposition format), so tests
 * assert on what a scrape sees rather than on the registry inside the process.
 */

export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const LINE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/
const LABEL = /([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g

/** Samples of a text exposition; comments (HELP, TYPE) skipped. */
export function parseExposition(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = LINE.exec(line.trim())
    if (!match || line.startsWith('#')) return []
    const labels: Record<string, string> = {}
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key!] = raw!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1')
    }
    return [{ name: match[1]!, labels, value: Number(match[3]) }]
  })
}

/** GET http://127.0.0.1:<port>/metrics, parsed; fails when the process does not answer. */
export async function scrape(port: number): Promise<Sample[]> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`)
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  return parseExposition(await response.text())
}

/** The samples of one metric whose labels include `labels`. */
export function samplesOf(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )
}

/** The value of the one sample of a metric with these labels; fails if there is not one. */
export function sampleValue(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const found = samplesOf(samples, name, labels)
  if (found.length !== 1) {
    throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}, not one`)
  }
  return found[0]!.value
}
