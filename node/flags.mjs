// The process's Node flags for worker_threads. A worker refuses V8 and per-process flags
// in its execArgv (--max-old-space-size, --expose-gc, --stack-size, --title,
// --abort-on-uncaught-exception: ERR_WORKER_INVALID_EXEC_ARGV), and a worker running a file
// refuses --input-type (set by `node --input-type=module -e`). Workers get the rest.
import { Worker } from 'node:worker_threads';

/** execArgv as [flag, value?] units: an item not starting with '-' is the previous flag's value. */
export function flagUnits(argv) {
  const units = [];
  for (const item of argv) {
    if (item.startsWith('-') || units.length === 0) units.push([item]);
    else units.at(-1).push(item);
  }
  return units;
}

/** The flags an ERR_WORKER_INVALID_EXEC_ARGV error names. */
function refusedFlags(err) {
  const list = /flags: (.*)$/s.exec(err.message)?.[1] ?? '';
  return new Set(list.split(', ').filter(Boolean));
}

/** `argv` without the units whose flag `refused` names; [] when it names none of them. */
export function withoutRefused(argv, refused) {
  const kept = flagUnits(argv).filter(([flag]) => !refused.has(flag) && !refused.has(flag.split('=')[0]));
  const flat = kept.flat();
  return flat.length < argv.length ? flat : [];
}

let accepted = null; // the execArgv the last worker started with

/** A Worker running `url` with as many of the process's flags as a worker accepts. */
export function startWorker(url, options = {}) {
  let execArgv = accepted ?? flagUnits(process.execArgv).filter(([flag]) => !flag.startsWith('--input-type')).flat();
  for (;;) {
    try {
      const worker = new Worker(url, { ...options, execArgv });
      accepted = execArgv;
      return worker;
    } catch (err) {
      if (err?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV' || execArgv.length === 0) throw err;
      execArgv = withoutRefused(execArgv, refusedFlags(err));
    }
  }
}
