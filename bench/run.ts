/**
 * `npm run bench [names…]`: runs benchmarks and prints their figures. Nothing here
 * asserts on time; each bench reports ratios against a baseline measured in the same run.
 */
import { runSketchAccuracyBench } from './sketch-accuracy.ts'

type Bench = (print: (line: string) => void) => Promise<void>

const benches: Record<string, Bench> = {
  'sketch-accuracy': runSketchAccuracyBench,
}

const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !benches[name])
if (unknown.length > 0) {
  console.error(
    `unknown bench(es): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`,
  )
  process.exit(2)
}
for (const [name, bench] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue
  console.log(`\n== ${name} ==`)
  const began = performance.now()
  await bench((line) => console.log(line))
  console.log(`(${name}: ${((performance.now() - began) / 1000).toFixed(1)} s)`)
}
