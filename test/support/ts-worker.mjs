// Starts a TypeScript module in a worker thread: tsx is registered here, as the CLI's entry does.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.module)
