// A worker_threads worker: the shared worker body over the parent port.
import { parentPort } from 'node:worker_threads';
import { serveWorker } from '../web/core/worker.mjs';
import { bootNode } from './boot.mjs';

serveWorker(
  {
    post: (message, transfer) => parentPort.postMessage(message, transfer),
    onMessage: (fn) => parentPort.on('message', fn),
  },
  bootNode,
);
