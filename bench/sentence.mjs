// The 32-token sentence every model benchmark times (bench/model.py, bench/model.mjs and
// bench/browser/model.html), so CPython, Node and the browser run the same input.
export const SENTENCE = 'Attention lets every token of a sentence look at every other token, and a model '
  + 'learns which ones matter for the meaning of the whole text, quickly.';
