// Stopping calls: the caller's AbortSignal and time limits, turned into typed errors.
import { AbortError, TimeoutError, invalidInput, show } from './errors.mjs';

/** Whether `signal` looks like an AbortSignal (from any realm or polyfill). */
function isSignal(signal) {
  return typeof signal === 'object' && signal !== null && typeof signal.aborted === 'boolean'
    && typeof signal.addEventListener === 'function' && typeof signal.removeEventListener === 'function';
}

/** `signal` if it is absent or an AbortSignal; an InvalidInputError otherwise. */
export function checkSignal(signal, where) {
  if (signal == null || isSignal(signal)) return signal ?? undefined;
  throw invalidInput(`${where}: signal must be an AbortSignal, got ${typeof signal}`);
}

/** A time limit in ms: absent (none), Infinity (none) or a positive number. */
export function checkTimeout(ms, where, error = invalidInput) {
  if (ms == null || ms === Infinity) return Infinity;
  if (typeof ms === 'number' && ms > 0) return ms;
  throw error(`${where} must be a positive number of milliseconds (or Infinity), got ${show(ms)}`);
}

/**
 * The rejection for an aborted signal, like fetch's: a TimeoutError when the signal's
 * reason is one (AbortSignal.timeout), an AbortError otherwise; `cause` is the reason.
 */
export function abortError(signal) {
  const reason = signal.reason;
  if (reason?.name === 'TimeoutError') {
    return new TimeoutError('the call timed out (its signal says so)', {}, { cause: reason });
  }
  const why = reason === undefined ? '' : `: ${reason?.message ?? String(reason)}`;
  return new AbortError(`the call was aborted${why}`, {}, { cause: reason });
}

/** The rejection for a call that ran longer than `timeoutMs` in a worker. */
export function timeoutError(timeoutMs) {
  return new TimeoutError(`the call ran for more than ${timeoutMs} ms and was stopped`, { timeoutMs });
}

// One 'abort' listener per signal, whatever the number of calls sharing it (Node warns
// about more than 10 listeners on one AbortSignal).
const watchers = new WeakMap();

/** Call `fn` once if `signal` aborts; returns a function that stops watching. */
export function onAbort(signal, fn) {
  let watch = watchers.get(signal);
  if (!watch) {
    const callbacks = new Set();
    const fire = () => {
      watchers.delete(signal);
      for (const callback of callbacks) callback();
    };
    watch = { callbacks, fire };
    watchers.set(signal, watch);
    signal.addEventListener('abort', fire, { once: true });
  }
  const { callbacks, fire } = watch;
  callbacks.add(fn);
  return () => {
    callbacks.delete(fn);
    if (callbacks.size === 0 && watchers.get(signal) === watch) {
      watchers.delete(signal);
      signal.removeEventListener('abort', fire);
    }
  };
}
