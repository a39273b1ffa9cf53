// node node/examples/quickstart.mjs  (after scripts/setup-js.sh or scripts/test.sh)
import { createRuntime } from '../index.mjs';

const rt = await createRuntime({
  workers: 2,
  onProgress: ({ phase, loaded, total }) => console.log(`boot ${phase} ${loaded}/${total}`),
});
console.log('mechanisms:', rt.mechanisms.join(', '));

const dim = 64;
const random = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const keys = Array.from({ length: 100 }, () => random(dim)); // rows, as in @ruvector/attention
const values = random(100 * 32); // or one flat row-major array

const attn = await rt.create('multi_head', { dim, numHeads: 4, seed: 0 });
console.log(attn.info);

try {
  await rt.create('multi_head', { dim, numHeads: 5 });
} catch (err) {
  console.log(`${err.name}: ${err.message}`);
}

const flash = await rt.create('flash', { dim, blockSize: 32 });
const one = await flash.compute(random(dim), keys, values);
const many = await flash.computeBatch(random(512 * dim), keys, values, { causal: true });
const weights = await flash.weights(keys[0], keys);
console.log(`compute -> ${one.length} values; computeBatch -> ${many.length}; weights sum ${weights.reduce((a, b) => a + b).toFixed(4)}`);

await rt.close();
