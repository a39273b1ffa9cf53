// Checks at the JavaScript boundary, for what Python cannot check because it could not
// even be sent (functions, Symbols, BigInt, cycles, detached buffers) or would be changed
// on the way (NaN becomes null in JSON, undefined disappears). Everything else (shapes,
// value domains) is checked once, in Python. Every failure is a typed AttentionError.
import { AttentionError, invalidConfig, invalidInput, show } from './errors.mjs';
import { checkSignal, checkTimeout } from './cancel.mjs';

const TYPED_FLOATS = 'a Float32Array, a numeric typed array or an array of numbers';

/** Whether a view's buffer was transferred or detached (length 0 then). */
export function isDetached(view) {
  const { buffer } = view;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer, 0, 0); // eslint-disable-line no-new
    return false;
  } catch {
    return true;
  }
}

/**
 * Why a typed array cannot carry numbers to Python (detached, BigInt, DataView), or null.
 * @param {ArrayBufferView} view
 */
export function unusableView(view) {
  if (isDetached(view)) return 'its ArrayBuffer is detached (transferred or freed)';
  if (view instanceof DataView) return `it is a DataView; pass ${TYPED_FLOATS}`;
  if (typeof BigInt64Array !== 'undefined' && (view instanceof BigInt64Array || view instanceof BigUint64Array)) {
    return `it is a ${view.constructor.name}; BigInt values are not accepted, pass ${TYPED_FLOATS}`;
  }
  return null;
}

/** What a value JSON cannot carry is, for messages. */
function kindOf(item) {
  switch (typeof item) {
    case 'undefined': return 'undefined';
    case 'function': return 'a function';
    case 'symbol': return 'a Symbol';
    case 'bigint': return `a BigInt (${show(item)})`;
    default: return show(item);
  }
}

/**
 * A deep copy of `value` as JSON-compatible data (typed arrays become number arrays),
 * or `error(message)` for what JSON would lose or cannot hold: functions, Symbols, BigInt,
 * non-finite numbers, cycles, non-plain objects, undefined array items, unusable views.
 * Object properties that are undefined are left out, as JSON.stringify does.
 * @param {unknown} value
 * @param {string} path where the value sits, for messages (e.g. "config.numHeads")
 * @param {(message: string) => AttentionError} error
 */
export function plainData(value, path, error) {
  const ancestors = new Set();
  const walk = (item, at) => {
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return item;
      case 'number':
        if (!Number.isFinite(item)) throw error(`${at} must be a finite number, got ${item}`);
        return item;
      case 'object':
        break;
      default:
        throw error(`${at} cannot be ${kindOf(item)}; use numbers, strings, booleans, arrays and plain objects`);
    }
    if (item === null) return null;
    if (ArrayBuffer.isView(item)) {
      const why = unusableView(item);
      if (why) throw error(`${at}: ${why}`);
      return Array.from(item, (x, i) => walk(x, `${at}[${i}]`));
    }
    if (ancestors.has(item)) throw error(`${at} refers to itself (a cycle); pass plain data`);
    ancestors.add(item);
    try {
      if (Array.isArray(item)) return Array.from(item, (x, i) => walk(x, `${at}[${i}]`));
      const proto = Object.getPrototypeOf(item);
      if (proto !== Object.prototype && proto !== null) {
        throw error(`${at} must be a plain object, got ${show(item)}`);
      }
      if (Object.getOwnPropertySymbols(item).length) throw error(`${at} has Symbol keys; use string keys`);
      const out = {};
      for (const key of Object.keys(item)) {
        const field = item[key];
        if (field !== undefined) out[key] = walk(field, `${at}.${key}`);
      }
      return out;
    } finally {
      ancestors.delete(item);
    }
  };
  return guard(() => walk(value, path), (err) => error(`${path} could not be read: ${err?.message ?? show(err)}`));
}

/**
 * Run `fn`; any error that is not already an AttentionError (a throwing getter or Proxy
 * trap, a stack overflow on deep nesting, an allocation failure) becomes `wrap(err)`.
 */
export function guard(fn, wrap) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AttentionError) throw err;
    throw wrap(err);
  }
}

/** A mechanism config: absent means `{}`; otherwise a plain object of JSON data. */
export function plainConfig(config) {
  if (config === undefined) return {};
  if (typeof config !== 'object' || config === null || Array.isArray(config) || ArrayBuffer.isView(config)) {
    throw invalidConfig(`config must be an object such as { dim: 64 }, got ${show(config)}`);
  }
  return plainData(config, 'config', invalidConfig);
}

/** Per-call mechanism inputs (`extras`): absent, or a plain object of JSON data. */
export function plainExtras(extras) {
  if (extras == null) return null;
  if (typeof extras !== 'object' || Array.isArray(extras) || ArrayBuffer.isView(extras)) {
    throw invalidInput(`extras must be an object such as { distances }, got ${show(extras)}`);
  }
  return plainData(extras, 'extras', invalidInput);
}

/** The labels of a views call, { x?: string[], y?: string[], row?: number }, as plain data
 * (Python checks their counts and the row). */
export function plainLabels(labels) {
  if (typeof labels !== 'object' || Array.isArray(labels) || ArrayBuffer.isView(labels)) {
    throw invalidInput(`labels must be an object such as { x: ['the', 'cat'] }, got ${show(labels)}`);
  }
  return plainData(labels, 'labels', invalidInput);
}

/**
 * The options object of a call: absent or null means none. Unknown keys are an
 * InvalidConfigError (like an unknown keyword in Python); `signal` and `timeoutMs` are
 * checked here and returned apart as `call`.
 * @param {unknown} options
 * @param {string[]} allowed the call's own option names
 * @param {string} method for messages
 * @returns {{ own: Record<string, any>, call: { signal?: AbortSignal, timeoutMs?: number } }}
 */
export function callOptions(options, allowed, method) {
  return guard(() => readOptions(options, allowed, method), (err) => invalidInput(`${method}: options could not be read: ${err?.message ?? show(err)}`));
}

function readOptions(options, allowed, method) {
  if (options == null) return { own: {}, call: {} };
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalidInput(`${method}: options must be an object, got ${show(options)}`);
  }
  const { signal, timeoutMs, ...own } = options;
  const unknown = Object.keys(own).filter((key) => !allowed.includes(key));
  if (unknown.length) {
    const names = [...allowed, 'signal', 'timeoutMs'].join(', ');
    throw invalidConfig(`${method} has no option ${unknown.map((k) => JSON.stringify(k)).join(', ')}; its options are ${names}`);
  }
  const call = { signal: checkSignal(signal, method) };
  if (timeoutMs != null) call.timeoutMs = checkTimeout(timeoutMs, `${method}: timeoutMs`); // else the runtime's
  return { own, call };
}

/** A flag: absent (null) or a real boolean, never a truthy string. */
export function optionalBoolean(value, name) {
  if (value == null) return null;
  if (typeof value !== 'boolean') throw invalidInput(`${name} must be true or false, got ${show(value)}`);
  return value;
}

/** A count: absent (undefined) or an integer >= 0. */
export function optionalCount(value, name) {
  if (value == null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw invalidInput(`${name} must be an integer >= 0, got ${show(value)}`);
  return value;
}

/** A number: absent (null) or finite (Python checks its domain). */
export function optionalNumber(value, name) {
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidInput(`${name} must be a finite number, got ${show(value)}`);
  return value;
}
