// The model benchmark shared by Node (bench/model.mjs) and the browser
// (bench/browser/model.html): boot a runtime of 2 workers, load all-MiniLM-L6-v2 into both,
// and time one 32-token sentence (the sentence of bench/model.py) through all 6 layers.
export const SENTENCE = 'Attention lets every token of a sentence look at every other token, and a model '
  + 'learns which ones matter for the meaning of the whole text, quickly.';

async function seconds(fn) {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1e3];
}

/**
 * Boot, load time (both workers) and the median of `repeat` encodes of SENTENCE.
 * @param {(options: object) => Promise<any>} createRuntime the facade's
 * @param {string | URL} source the model's path or URL
 */
export async function timeModel(createRuntime, source, repeat = 20) {
  const [rt, boot] = await seconds(() => createRuntime({ workers: 2 }));
  const [model, load] = await seconds(async () => {
    const loaded = await rt.loadModel(source);
    await Promise.all([loaded.encode('warm'), loaded.encode('up')]); // both workers hold it
    return loaded;
  });
  const times = [];
  let tokens = 0;
  for (let i = 0; i < repeat; i++) {
    const [out, s] = await seconds(() => model.encode(SENTENCE));
    tokens = out.tokens.length;
    times.push(s * 1e3);
  }
  times.sort((a, b) => a - b);
  await rt.close();
  return { workers: 2, tokens, repeat, boot_s: boot, load_both_workers_s: load, sentence_ms: times[times.length >> 1] };
}
