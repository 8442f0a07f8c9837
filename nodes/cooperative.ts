// Node code runs on the server's event loop. A loop over every pixel of a large image can take seconds; these
// pauses let the server answer requests meanwhile and let an interrupt stop the node, at the cost of a
// setImmediate every SLICE_MS.

const SLICE_MS = 20;

/**
 * A function to await inside a long loop: it yields to the event loop once SLICE_MS have passed since the last
 * yield, then throws the abort reason if `signal` was aborted.
 */
export function cooperativePause(signal?: AbortSignal): () => Promise<void> {
  let sliceStart = performance.now();
  return async () => {
    if (performance.now() - sliceStart <= SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
    sliceStart = performance.now();
  };
}
