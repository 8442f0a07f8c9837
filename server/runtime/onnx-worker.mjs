// @ts-check
// The thread onnxruntime runs on. onnxruntime-node's run() computes synchronously on the calling thread, so on the
// main thread every transformer step or decode froze the server for its whole length: no HTTP answers, no
// socket.io frames, no queue updates (on a GPU with the real model a sweep's step takes seconds). Sessions live
// here instead, and the adapter (onnx.ts) talks to them by message. Plain JavaScript on purpose: a worker starts
// without the TypeScript loader the rest of the server runs under.
//
// Requests: { id, op: 'create', model (path or bytes), options } -> { id, sessionId, inputs, outputs }
//           { id, op: 'run', sessionId, feeds: { name: { data, dims } }, outputNames? } -> { id, outputs, ms }
//           { id, op: 'release', sessionId } -> { id }
// A failure answers { id, error: message }.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

if (!parentPort) throw new Error('onnx-worker.mjs runs as a worker thread of the onnxruntime adapter');
const port = parentPort;

/** @type {Map<number, ort.InferenceSession>} */
const sessions = new Map();
let nextSessionId = 1;

/** @param {ort.InferenceSession.ValueMetadata} meta */
function describe(meta) {
  return meta.isTensor ? { name: meta.name, type: meta.type, shape: [...meta.shape] } : { name: meta.name, type: 'non-tensor', shape: [] };
}

/** @param {number} id */
function session(id) {
  const found = sessions.get(id);
  if (!found) throw new Error(`session ${id} was released`);
  return found;
}

/** @param {{ data: Float32Array | BigInt64Array, dims: number[] }} value */
function toTensor(value) {
  return new ort.Tensor(value.data instanceof BigInt64Array ? 'int64' : 'float32', value.data, value.dims);
}

/** @param {any} request */
async function handle(request) {
  if (request.op === 'create') {
    const created = await ort.InferenceSession.create(request.model, request.options);
    const sessionId = nextSessionId++;
    sessions.set(sessionId, created);
    return { message: { sessionId, inputs: created.inputMetadata.map(describe), outputs: created.outputMetadata.map(describe) } };
  }
  if (request.op === 'run') {
    const target = session(request.sessionId);
    /** @type {Record<string, ort.Tensor>} */
    const feeds = {};
    for (const [name, value] of Object.entries(request.feeds)) feeds[name] = toTensor(/** @type {any} */ (value));
    const started = performance.now();
    let results;
    try {
      results = request.outputNames ? await target.run(feeds, request.outputNames) : await target.run(feeds);
    } finally {
      for (const tensor of Object.values(feeds)) tensor.dispose();
    }
    const ms = performance.now() - started;
    /** @type {Record<string, { type: string, data: unknown, dims: number[] }>} */
    const outputs = {};
    /** @type {Set<ArrayBuffer>} */
    const buffers = new Set();
    for (const [name, value] of Object.entries(results)) {
      const tensor = /** @type {ort.Tensor} */ (value);
      outputs[name] = { type: tensor.type, data: tensor.data, dims: [...tensor.dims] };
      const data = /** @type {{ buffer?: ArrayBuffer }} */ (tensor.data);
      if (data.buffer instanceof ArrayBuffer) buffers.add(data.buffer);
    }
    // The outputs are moved, not copied: this thread has no further use for them.
    return { message: { outputs, ms }, transfer: [...buffers] };
  }
  if (request.op === 'release') {
    const target = sessions.get(request.sessionId);
    sessions.delete(request.sessionId);
    if (target) await target.release();
    return { message: {} };
  }
  throw new Error(`unknown request '${String(request.op)}'`);
}

port.on('message', (request) => {
  handle(request).then(
    ({ message, transfer = [] }) => {
      try {
        port.postMessage({ id: request.id, ...message }, transfer);
      } catch {
        // A buffer onnxruntime still owns cannot be moved: send a copy instead.
        port.postMessage({ id: request.id, ...message });
      }
    },
    (error) => port.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
