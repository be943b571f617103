#!/usr/bin/env -S node --max-semi-space-size=64
// The flag: a 64 MB young generation. A batch keeps thousands of decoded events and rows alive
// across its awaits, which the default promotes to the old generation; see docs/performance.md.
// The CLI is TypeScript run through tsx, so the repository needs no build step.
import { register } from 'tsx/esm/api'

register()
await import('../cli/main.ts')
