// Position ids for the transformer's 3-axis RoPE (KONTEXT.md 2): each image token gets (index, row, col) on its
// own packed grid (target index 0, reference index 1); text tokens get zeros.

/** The image index of the target tokens. */
export const TARGET_IMAGE_INDEX = 0;
/** The image index of the reference tokens. */
export const REFERENCE_IMAGE_INDEX = 1;

/**
 * Ids [(gh*gw),3] for a packed grid of gh x gw tokens: (index, i, j), row-major, as float32.
 * @throws Error when the grid is empty or not integral.
 */
export function imageIds(gridHeight: number, gridWidth: number, imageIndex: number): Float32Array {
  if (!Number.isInteger(gridHeight) || !Number.isInteger(gridWidth) || gridHeight <= 0 || gridWidth <= 0) {
    throw new Error(`token grid ${gridHeight}x${gridWidth} must be positive integers`);
  }
  const out = new Float32Array(gridHeight * gridWidth * 3);
  let k = 0;
  for (let i = 0; i < gridHeight; i++) {
    for (let j = 0; j < gridWidth; j++) {
      out[k++] = imageIndex;
      out[k++] = i;
      out[k++] = j;
    }
  }
  return out;
}

/** Ids of the target tokens for a latent grid h x w (packed grid h/2 x w/2). */
export function targetIds(latentHeight: number, latentWidth: number): Float32Array {
  return imageIds(latentHeight / 2, latentWidth / 2, TARGET_IMAGE_INDEX);
}

/** Ids of the reference tokens for the reference's own latent grid. */
export function referenceIds(latentHeight: number, latentWidth: number): Float32Array {
  return imageIds(latentHeight / 2, latentWidth / 2, REFERENCE_IMAGE_INDEX);
}

/** The joint ids: target tokens first, then the reference tokens, as the transformer sees them each step. */
export function jointImageIds(target: Float32Array, reference: Float32Array): Float32Array {
  const out = new Float32Array(target.length + reference.length);
  out.set(target, 0);
  out.set(reference, target.length);
  return out;
}

/** Text ids: zeros [sequenceLength,3]. */
export function textIds(sequenceLength: number): Float32Array {
  return new Float32Array(sequenceLength * 3);
}
