// The Euler update of a flow-matching sampler and its clean-image preview (KONTEXT.md 2). The model predicts a
// velocity v ~ noise - x0, so x moves towards x0 as sigma falls.

/** In place: `x <- x + (sigmaNext - sigma) * v`, in float32. @throws Error when the lengths differ. */
export function eulerStep(x: Float32Array, velocity: Float32Array, sigma: number, sigmaNext: number): void {
  if (x.length !== velocity.length) throw new Error(`Euler step: latent has ${x.length} values, velocity ${velocity.length}`);
  const dt = Math.fround(sigmaNext - sigma);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + dt * velocity[i]!;
}

/**
 * The predicted clean latent at this step: `x0 = x - sigma * v`, written to `out` (a new array unless given).
 * @throws Error when the lengths differ.
 */
export function predictCleanLatent(x: Float32Array, velocity: Float32Array, sigma: number, out = new Float32Array(x.length)): Float32Array {
  if (x.length !== velocity.length || out.length !== x.length) {
    throw new Error(`x0 preview: latent has ${x.length} values, velocity ${velocity.length}, output ${out.length}`);
  }
  const s = Math.fround(sigma);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! - s * velocity[i]!;
  return out;
}
