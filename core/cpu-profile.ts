import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string }
  readonly children?: readonly number[]
}

/** A V8 CPU profile, as the inspector gives it. */
export interface Profile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/**
 * A CPU profile of the calling thread (main or worker), started now; `stop` writes it where
 * asked and returns it. Loadable in Chrome DevTools (Performance, Load profile) or speedscope.
 */
export async function startCpuProfile(): Promise<{ stop(path: string): Promise<Profile> }> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return {
    async stop(path) {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile }
      session.disconnect()
      await writeFile(path, JSON.stringify(profile))
      return profile
    },
  }
}
