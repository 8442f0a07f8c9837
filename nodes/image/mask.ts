// MASK: B single-channel planes in [0,1] (ComfyUI's layout), where 1 marks the area to edit. Load Image
// derives it from the file's alpha (transparent = 1), as ComfyUI does, so existing prompts keep their links.

export interface MaskBatch {
  kind: 'MASK';
  count: number;
  height: number;
  width: number;
  /** length count*height*width */
  values: Float32Array;
}

/** A mask from an alpha plane (1 = opaque), or all zeros when the image had no alpha. */
export function maskFromAlpha(height: number, width: number, alpha: Float32Array | null): MaskBatch {
  const values = new Float32Array(height * width);
  if (alpha) for (let i = 0; i < values.length; i++) values[i] = 1 - alpha[i]!;
  return { kind: 'MASK', count: 1, height, width, values };
}
