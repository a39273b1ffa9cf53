// A worker_threads worker: the shared worker body over the parent port.
//
// After each request the worker keeps reading its port for HOT_MS before it sleeps again
// (receiveMessageOnPort, yielding to the request's own promises between reads), so a call
// that follows at once, as in a loop of calls, does not wait for the thread to wake up:
// about 0.1 ms of each round trip on an idle Linux VM (bench/node.mjs, its 1 x 16 row).
// The cost is at most HOT_MS of one core after the last request of a burst.
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { serveWorker } from '../web/core/worker.mjs';
import { bootNode } from './boot.mjs';

const HOT_MS = 0.3;

/** Deliver the port's messages to `handle`: by event, then by polling while they keep coming. */
function onMessage(handle) {
  let hot = false;
  const stayHot = async () => {
    hot = true;
    for (let until = performance.now() + HOT_MS; performance.now() < until; await null) {
      const next = receiveMessageOnPort(parentPort);
      if (next) {
        handle(next.message);
        until = performance.now() + HOT_MS;
      }
    }
    hot = false;
  };
  parentPort.on('message', (message) => {
    handle(message);
    if (!hot) stayHot();
  });
}

serveWorker({ post: (message, transfer) => parentPort.postMessage(message, transfer), onMessage }, bootNode);
