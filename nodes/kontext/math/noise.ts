// Seeded Gaussian noise that is identical on every platform, so a seed means the same image everywhere and a
// strength sweep can share one noise tensor across its items (KONTEXT.md 2; bit parity with torch is not a goal).
//
// Algorithm (version 1; changing it changes every seeded result):
// 1. The seed (an integer 0 <= seed < 2^64) expands through SplitMix64 (BigInt arithmetic, mod 2^64) into
//    four 32-bit words: the high and low halves of two consecutive SplitMix64 outputs. An all-zero state cannot
//    arise from SplitMix64's outputs in practice, but is replaced by a fixed constant for safety.
// 2. xoshiro128** (Blackman and Vigna) produces 32-bit words; it uses only 32-bit integer operations
//    (Math.imul, shifts, xor), which are exact in JavaScript on any platform.
// 3. Each uniform is u = (a * 2^21 + (b >>> 11) + 1) / 2^53 with a, b two consecutive outputs: 53 random bits,
//    in (0, 1], so log(u) is finite.
// 4. Box-Muller in float64: r = sqrt(-2 ln u1), t = 2 pi u2, giving r cos t and r sin t (both used, in
//    that order). V8 implements Math.log/sin/cos in software (fdlibm ports), so the float64 results do not
//    depend on the CPU or the C library; each value is then rounded once to float32.
// Values are produced in row-major order of the requested shape.

const MASK64 = (1n << 64n) - 1n;

function splitMix64(state: bigint): { next: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { next, value: z ^ (z >> 31n) };
}

/** A xoshiro128** generator seeded from a 64-bit seed through SplitMix64. */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** @throws Error when the seed is not an integer in [0, 2^64). */
  constructor(seed: number | bigint) {
    const big = typeof seed === 'bigint' ? seed : Number.isSafeInteger(seed) ? BigInt(seed) : NaN;
    if (typeof big !== 'bigint' || big < 0n || big > MASK64) {
      throw new Error(`seed must be an integer from 0 to 2^64-1, got ${String(seed)}`);
    }
    const a = splitMix64(big);
    const b = splitMix64(a.next);
    this.s0 = Number(a.value >> 32n) >>> 0;
    this.s1 = Number(a.value & 0xffffffffn) >>> 0;
    this.s2 = Number(b.value >> 32n) >>> 0;
    this.s3 = Number(b.value & 0xffffffffn) >>> 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9;
  }

  /** The next 32-bit unsigned word. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float64 uniform in (0, 1] with 53 random bits. */
  nextUniform(): number {
    const hi = this.nextUint32() >>> 11; // 21 bits
    const lo = this.nextUint32(); // 32 bits
    return (hi * 4294967296 + lo + 1) / 9007199254740992;
  }

  /** A standard normal value in float64 (Box-Muller, pairs used in order). */
  nextGaussian(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextUniform()));
    const theta = 2 * Math.PI * this.nextUniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** `count` standard normal float32 values from `seed` (see the algorithm above). @throws Error on a bad seed. */
export function gaussianNoise(seed: number | bigint, count: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = random.nextGaussian();
  return out;
}
