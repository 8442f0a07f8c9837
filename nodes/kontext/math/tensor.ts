// The one tensor shape the Kontext math and the runtime pass around: a flat float32 buffer with its dims
// (row-major, outermost first). Kept here, free of onnxruntime, so the math stays pure.

/** A dense row-major float32 tensor. */
export interface FloatTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Number of elements a shape holds. */
export function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * Wraps data with its dims after checking that they agree.
 * @throws Error when the data length differs from the product of the dims.
 */
export function floatTensor(data: Float32Array, dims: readonly number[]): FloatTensor {
  const expected = elementCount(dims);
  if (data.length !== expected) throw new Error(`tensor data has ${data.length} values but dims [${dims.join(',')}] need ${expected}`);
  return { data, dims: [...dims] };
}

/**
 * Checks a tensor's rank (and optionally some dims) before a function relies on them.
 * @throws Error naming `what` and the expected layout.
 */
export function expectRank(tensor: FloatTensor, rank: number, what: string, layout: string): void {
  if (tensor.dims.length !== rank) {
    throw new Error(`${what} must be ${layout} (rank ${rank}), got dims [${tensor.dims.join(',')}]`);
  }
  if (tensor.data.length !== elementCount(tensor.dims)) {
    throw new Error(`${what} has ${tensor.data.length} values but dims [${tensor.dims.join(',')}]`);
  }
}

/**
 * Repeats a batch-of-one tensor `count` times along the first axis (a sweep shares text and noise).
 * @throws Error when the first dim is not 1.
 */
export function repeatBatch(tensor: FloatTensor, count: number): FloatTensor {
  if (tensor.dims[0] !== 1) throw new Error(`can only repeat a batch of 1, got batch ${tensor.dims[0]}`);
  const item = tensor.data.length;
  const out = new Float32Array(item * count);
  for (let b = 0; b < count; b++) out.set(tensor.data, b * item);
  return { data: out, dims: [count, ...tensor.dims.slice(1)] };
}

/**
 * Takes items [start, end) of the first axis as a copy.
 * @throws Error when the range is outside the batch.
 */
export function sliceBatch(tensor: FloatTensor, start: number, end: number): FloatTensor {
  const batch = tensor.dims[0] ?? 0;
  if (start < 0 || end > batch || start > end) throw new Error(`batch slice [${start},${end}) is outside a batch of ${batch}`);
  const item = batch === 0 ? 0 : tensor.data.length / batch;
  return { data: tensor.data.slice(start * item, end * item), dims: [end - start, ...tensor.dims.slice(1)] };
}

/**
 * Concatenates tensors along the first axis.
 * @throws Error when the trailing dims differ.
 */
export function concatBatch(tensors: readonly FloatTensor[]): FloatTensor {
  if (tensors.length === 0) throw new Error('cannot concatenate zero tensors');
  const tail = tensors[0]!.dims.slice(1);
  let total = 0;
  for (const t of tensors) {
    if (t.dims.slice(1).join(',') !== tail.join(',')) {
      throw new Error(`cannot concatenate dims [${t.dims.join(',')}] with [${tensors[0]!.dims.join(',')}]`);
    }
    total += t.data.length;
  }
  const out = new Float32Array(total);
  let offset = 0;
  let batch = 0;
  for (const t of tensors) {
    out.set(t.data, offset);
    offset += t.data.length;
    batch += t.dims[0]!;
  }
  return { data: out, dims: [batch, ...tail] };
}
