/** A reading thread for the shared global tables test: answers a customer's city by id. */
import { parentPort, workerData } from 'node:worker_threads'
import {
  type SharedGlobalBuffers,
  SharedGlobalTables,
} from '../../../streams/runtime/shared-globals.ts'

const tables = new SharedGlobalTables((workerData as { buffers: SharedGlobalBuffers }).buffers)
parentPort!.on('message', (key: string) => {
  parentPort!.postMessage(tables.lookups.customer(key)?.city ?? null)
})
