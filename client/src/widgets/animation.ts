// Plays animated outputs (Strength Animation's WebP/GIF) on the canvas. A canvas draws only the first frame of an
// animated <img>, so frames are decoded with WebCodecs' ImageDecoder and picked by time; where the browser lacks
// ImageDecoder the first frame stays (the file itself still plays when opened).

/** Decoded frames of one animation with their display times. */
export interface DecodedAnimation {
  frames: ImageBitmap[];
  /** Milliseconds each frame shows. */
  durations: number[];
  total: number;
}

/** Decodes every frame of an animated image URL; null when the browser cannot, or the file has one frame. */
export async function decodeAnimation(url: string): Promise<DecodedAnimation | null> {
  if (typeof ImageDecoder === 'undefined') return null;
  const response = await fetch(url);
  if (!response.ok || !response.body) return null;
  const type = response.headers.get('content-type')?.split(';')[0] ?? 'image/webp';
  if (!(await ImageDecoder.isTypeSupported(type))) return null;
  const decoder = new ImageDecoder({ data: response.body, type });
  try {
    await decoder.tracks.ready;
    const count = decoder.tracks.selectedTrack?.frameCount ?? 1;
    if (count < 2) return null;
    const frames: ImageBitmap[] = [];
    const durations: number[] = [];
    for (let i = 0; i < count; i++) {
      const { image } = await decoder.decode({ frameIndex: i });
      frames.push(await createImageBitmap(image));
      durations.push(Math.max(20, (image.duration ?? 100_000) / 1000));
      image.close();
    }
    return { frames, durations, total: durations.reduce((a, b) => a + b, 0) };
  } finally {
    decoder.close();
  }
}

/** The frame to show at time `now` (ms). */
export function frameAt(animation: DecodedAnimation, now: number): ImageBitmap {
  let t = now % animation.total;
  for (let i = 0; i < animation.frames.length; i++) {
    t -= animation.durations[i]!;
    if (t < 0) return animation.frames[i]!;
  }
  return animation.frames[animation.frames.length - 1]!;
}
