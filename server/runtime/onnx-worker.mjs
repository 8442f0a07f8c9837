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
//           { op: 'exit' }: the thread stops once the requests it took before are answered (never inside a run)
//           { id, op: 'denoise', sessionId, loop, feeds, output, previews, control } -> progress messages;
//             previews: null, or { everyMs }: x0 at the first step and then at most once per everyMs
//             { id, progress: { step, steps, x0? } } after each step, then { id, latent, onnxMs, stepMs }
//             (or { id, cancelled: true, onnxMs, stepMs } when stopped); control is an Int32Array on shared
//             memory: [0] set to cancel, [1] the last step whose progress the main thread has taken
// A failure answers { id, error: message }.
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

if (!parentPort) throw new Error('onnx-worker.mjs runs as a worker thread of the onnxruntime adapter');
const port = parentPort;

/** @type {Map<number, ort.InferenceSession>} */
const sessions = new Map();
let nextSessionId = 1;
// A denoise loop may finish this many steps whose progress the main thread has not taken yet: enough that the
// loop never waits on a real model (a step takes milliseconds, taking progress a fraction of one), few enough
// that an interrupt after step n stops the loop by step n + 2 however fast the steps are.
const MAX_UNACKNOWLEDGED = 2;
const CANCELLED = 0;
const ACKNOWLEDGED = 1;

/**
 * The sampling loop is TypeScript shared with the rest of the runtime, read through tsx. Loading it takes about
 * 80 ms, so it starts with the thread, beside the first sessions' loading; a failure surfaces at the first denoise.
 */
const loopModule = import('tsx/esm/api').then(({ register }) => {
  register();
  return import('./denoise-loop.ts');
});
loopModule.catch(() => {});

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
  if (request.op === 'denoise') return denoise(request);
  if (request.op === 'release') {
    const target = sessions.get(request.sessionId);
    sessions.delete(request.sessionId);
    if (target) await target.release();
    return { message: {} };
  }
  throw new Error(`unknown request '${String(request.op)}'`);
}

/**
 * The whole sampling loop on this thread: each step's transformer run follows the last without a round trip to
 * the main thread (two thread wake-ups, about 0.27 ms a step on the 2-core machine). Progress, and the x0
 * preview when asked for, go out after every step; between steps the loop yields, so another session's run (a
 * preview decode) is handled then, and checks the shared control word for a cancel.
 * @param {any} request
 */
async function denoise(request) {
  const target = session(request.sessionId);
  const { runDenoiseLoop } = await loopModule;
  /** @type {Record<string, ort.Tensor>} */
  const fixed = {};
  for (const [name, value] of Object.entries(request.feeds)) fixed[name] = toTensor(/** @type {any} */ (value));
  const controller = new AbortController();
  /** @type {Int32Array} */
  const control = request.control;
  /** @type {number[]} */
  const onnxMs = [];
  /** @type {number[]} */
  const stepMs = [];
  let stepStart = performance.now();
  let lastPreview = -Infinity;
  try {
    const latent = await runDenoiseLoop(
      request.loop,
      async (hidden, imgIds, sigma) => {
        const feeds = {
          ...fixed,
          hidden_states: new ort.Tensor('float32', hidden.data, hidden.dims),
          // A guided loop runs two rows per item: the step's sigma goes to every row it hands over.
          timestep: new ort.Tensor('float32', new Float32Array(hidden.dims[0]).fill(sigma), [hidden.dims[0]]),
          img_ids: new ort.Tensor('float32', imgIds, [imgIds.length / 3, 3]),
        };
        const started = performance.now();
        const results = await target.run(feeds, [request.output]);
        onnxMs.push(performance.now() - started);
        const velocity = /** @type {ort.Tensor} */ (results[request.output]);
        return { data: /** @type {Float32Array} */ (velocity.data), dims: [...velocity.dims] };
      },
      {
        signal: controller.signal,
        wantsX0: () => {
          if (!request.previews) return false;
          const now = performance.now();
          if (now - lastPreview < request.previews.everyMs) return false;
          lastPreview = now;
          return true;
        },
        afterStep: () => {
          const now = performance.now();
          stepMs.push(now - stepStart);
          stepStart = now;
        },
        onStep: async (step, steps, x0) => {
          const progress = { step, steps, ...(x0 && { x0 }) };
          port.postMessage({ id: request.id, progress }, x0 ? [/** @type {ArrayBuffer} */ (x0.data.buffer)] : []);
          await new Promise((resolve) => setImmediate(resolve));
          for (let seen = Atomics.load(control, ACKNOWLEDGED); step - seen >= MAX_UNACKNOWLEDGED && !Atomics.load(control, CANCELLED); seen = Atomics.load(control, ACKNOWLEDGED)) {
            Atomics.wait(control, ACKNOWLEDGED, seen, 100);
          }
          if (Atomics.load(control, CANCELLED)) controller.abort();
          stepStart = performance.now();
        },
      },
    );
    return { message: { latent, onnxMs, stepMs }, transfer: [/** @type {ArrayBuffer} */ (latent.data.buffer)] };
  } catch (error) {
    // Cancelled: say how far it got, so the runs that did happen are counted.
    if (controller.signal.aborted) return { message: { cancelled: true, onnxMs, stepMs } };
    throw error;
  }
}

/** Requests being handled: an exit waits for them (onnxruntime-node starts a run on the next turn of the loop). */
/** @type {Set<Promise<void>>} */
const inFlight = new Set();

port.on('message', (request) => {
  if (request.op === 'exit') {
    void Promise.allSettled([...inFlight]).then(() => process.exit(0));
    return;
  }
  const answered = handle(request).then(
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
  inFlight.add(answered);
  void answered.finally(() => inFlight.delete(answered));
});
