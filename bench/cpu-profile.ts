import { Session } from 'node:inspector/promises'
import { fileURLToPath } from 'node:url'

import type { Profile } from '../core/cpu-profile.ts'

export { startCpuProfile } from '../core/cpu-profile.ts'

type ProfileNode = Profile['nodes'][number]

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Where a sample's time goes, by what owns the function: a package, a folder of ours, the
 * garbage collector, idle (the event loop waiting for I/O), or native code without a script.
 */
function ownerOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(idle)') return '(idle: waiting for I/O)'
  if (functionName === '(garbage collector)') return '(garbage collector)'
  if (functionName === '(program)') return '(program: native, outside JS)'
  if (url === '') return `(native) ${functionName || 'anonymous'}`
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  const modules = path.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + 'node_modules/'.length).split('/')
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!
  }
  if (path.startsWith(root)) return path.slice(root.length).split('/').slice(0, 2).join('/')
  return path.startsWith('node:') ? `node (${path.slice(5).split('/')[0]})` : path
}

/** Self time by owner, and the functions taking the most self time, as shares of the profile. */
export function summarizeProfile(
  profile: Profile,
  top = 15,
): { owners: Array<[string, number]>; functions: Array<[string, number]> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const owners = new Map<string, number>()
  const functions = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    if (!node) return
    const micros = profile.timeDeltas[i] ?? 0
    total += micros
    const owner = ownerOf(node.callFrame)
    owners.set(owner, (owners.get(owner) ?? 0) + micros)
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${owner}`
    functions.set(fn, (functions.get(fn) ?? 0) + micros)
  })
  const shares = (m: Map<string, number>) =>
    [...m]
      .map(([name, micros]) => [name, micros / Math.max(1, total)] as [string, number])
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
  return { owners: shares(owners), functions: shares(functions) }
}

interface HeapNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; lineNumber: number }
  readonly selfSize: number
  readonly children: readonly HeapNode[]
}

/** A sampling allocation profile (bytes allocated by function), started now. */
export async function startHeapProfile(): Promise<{ stop(): Promise<Array<[string, number]>> }> {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.enable')
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 64 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
  return {
    async stop() {
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
        profile: { head: HeapNode }
      }
      session.disconnect()
      const bytes = new Map<string, number>()
      const walk = (node: HeapNode) => {
        const name = `${node.callFrame.functionName || '(anonymous)'} ${ownerOf(node.callFrame)}:${node.callFrame.lineNumber}`
        bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize)
        for (const child of node.children) walk(child)
      }
      walk(profile.head)
      return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, 25)
    },
  }
}
