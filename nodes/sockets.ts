// Values that travel between nodes. A batch dimension runs through everything: a sweep of K strengths is one
// batch of K, and per-item metadata (the strength) rides along so grids and animations can label frames.

/** Per-item metadata carried with images and latents. */
export interface ItemMeta {
  strength?: number;
  label?: string;
}

/** IMAGE: B images, NHWC float32 RGB in [0,1] (ComfyUI's layout), all of one size. */
export interface ImageBatch {
  kind: 'IMAGE';
  count: number;
  height: number;
  width: number;
  /** length count*height*width*3 */
  pixels: Float32Array;
  meta: ItemMeta[];
}

/** Bytes a value holds, for the engine's byte-bounded cache. */
export function imageBytes(image: ImageBatch): number {
  return image.pixels.byteLength;
}

export function makeImageBatch(count: number, height: number, width: number, pixels?: Float32Array, meta?: ItemMeta[]): ImageBatch {
  const size = count * height * width * 3;
  const data = pixels ?? new Float32Array(size);
  if (data.length !== size) throw new Error(`image data has ${data.length} values, expected ${count}x${height}x${width}x3 = ${size}`);
  return { kind: 'IMAGE', count, height, width, pixels: data, meta: meta ?? Array.from({ length: count }, () => ({})) };
}

/** Throws Error unless `value` is an object with the given socket kind (a wrong link or a stale workflow). */
export function expectKind<T extends { kind: string }>(value: unknown, kind: T['kind'], input: string): T {
  if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== kind) {
    throw new Error(`input "${input}" expects a ${kind} value`);
  }
  return value as T;
}

/** Throws Error unless `value` is an IMAGE batch. */
export function expectImage(value: unknown, input: string): ImageBatch {
  return expectKind<ImageBatch>(value, 'IMAGE', input);
}
