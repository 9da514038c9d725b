// A helper of one conversion worker: compresses chunks of a big file's model XML while the
// conversion worker goes on producing them, so a single big file uses a second core.
//   in:  {k, level, dict: Uint8Array, data: Uint8Array}
//   out: {k, bytes: Uint8Array} (transferred), or {k, error} when compression failed

import init, { deflateChunk } from './pkg/to3mf_wasm.js';

const ready = init();

onmessage = async ({ data: { k, level, dict, data } }) => {
  await ready;
  try {
    const bytes = deflateChunk(level, dict, data);
    postMessage({ k, bytes }, [bytes.buffer]);
  } catch (e) {
    postMessage({ k, error: String(e && e.message ? e.message : e) });
  }
};
