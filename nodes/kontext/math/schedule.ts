// The flow-matching sigma schedule with FLUX's resolution-dependent ("dynamic") shift (KONTEXT.md 2).
// Computed in float64 like the reference implementations; the Euler update itself runs in float32.

/** A bundle's scheduler constants (manifest `scheduler`). */
export interface SchedulerConfig {
  dynamic_shift: boolean;
  base_seq_len: number;
  max_seq_len: number;
  base_shift: number;
  max_shift: number;
}

/** The FLUX.1 constants, for callers without a manifest. */
export const FLUX_SCHEDULER: SchedulerConfig = {
  dynamic_shift: true,
  base_seq_len: 256,
  max_seq_len: 4096,
  base_shift: 0.5,
  max_shift: 1.15,
};

/** mu for `tokens` target tokens: a line through (base_seq_len, base_shift) and (max_seq_len, max_shift), unclamped. */
export function shiftMu(tokens: number, config: SchedulerConfig): number {
  const slope = (config.max_shift - config.base_shift) / (config.max_seq_len - config.base_seq_len);
  const intercept = config.base_shift - slope * config.base_seq_len;
  return slope * tokens + intercept;
}

/**
 * The N+1 sigmas of an N-step run over `tokens` target tokens: linspace(1, 1/N, N) shifted by e^mu, then 0.
 * Without dynamic shift the linspace is used as is.
 * @throws Error when steps is not a positive integer or tokens is not positive.
 */
export function sigmaSchedule(steps: number, tokens: number, config: SchedulerConfig): Float64Array {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!(tokens > 0)) throw new Error(`the target must have at least one token, got ${tokens}`);
  const sigmas = new Float64Array(steps + 1);
  const last = 1 / steps;
  const expMu = config.dynamic_shift ? Math.exp(shiftMu(tokens, config)) : 1;
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 1 : 1 + ((last - 1) * i) / (steps - 1);
    sigmas[i] = config.dynamic_shift ? expMu / (expMu + (1 / t - 1)) : t;
  }
  sigmas[steps] = 0;
  return sigmas;
}
