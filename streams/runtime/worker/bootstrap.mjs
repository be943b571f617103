// A worker thread's entry: the runtime is TypeScript run through tsx, as the CLI is.
import { register } from 'tsx/esm/api'

register()
await import('./thread.ts')
