// Even change for a sweep: a model need not spread its change evenly over the strength (kontext-tiny's sweeps
// jump in places), so equal steps of strength can give a grid or an animation that stalls and then leaps. From a
// probe sweep's outputs, the change between adjacent strengths gives the path the edit travels; the strengths
// at which that path has covered equal fractions are where a sweep changes evenly. The same idea as the model
// tooling's strength calibration (training/eval/calibrate.py), per edit instead of averaged over many.

/**
 * `count` strengths from the probe's first to its last strength at which the cumulative change (linear between
 * probe strengths) grows in equal parts. `adjacent[i]` is the distance between the outputs at `probe[i]` and
 * `probe[i + 1]`. With no measurable change, the probe's range is split evenly.
 * @throws RangeError unless the probe is strictly increasing or strictly decreasing, has at least 2 strengths and
 * one distance per neighbouring pair, and count >= 2.
 */
export function evenChangeStrengths(probe: readonly number[], adjacent: readonly number[], count: number): number[] {
  if (probe.length < 2) throw new RangeError(`even change needs a probe of at least 2 strengths, got ${probe.length}`);
  if (adjacent.length !== probe.length - 1) throw new RangeError(`${probe.length} probe strengths need ${probe.length - 1} distances, got ${adjacent.length}`);
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`even change needs at least 2 strengths, got ${count}`);
  const problem = sweepOrderProblem(probe);
  if (problem) throw new RangeError(problem);
  const path = [0];
  for (const d of adjacent) path.push(path[path.length - 1]! + (Number.isFinite(d) && d > 0 ? d : 0));
  const total = path[path.length - 1]!;
  const first = probe[0]!;
  const last = probe[probe.length - 1]!;
  const out: number[] = [];
  for (let j = 0; j < count; j++) {
    const fraction = j / (count - 1);
    if (j === 0 || j === count - 1 || total <= 1e-9) {
      out.push(first + (last - first) * fraction);
      continue;
    }
    const goal = fraction * total;
    // The first probe interval whose end reaches the goal; a stretch without change is skipped.
    let i = 1;
    while (path[i]! < goal) i++;
    const span = path[i]! - path[i - 1]!;
    const t = span > 0 ? (goal - path[i - 1]!) / span : 1;
    out.push(probe[i - 1]! + (probe[i]! - probe[i - 1]!) * t);
  }
  return out;
}


/** Why strengths cannot be re-spaced (not strictly increasing or decreasing), or null when they can. */
export function sweepOrderProblem(strengths: readonly number[]): string | null {
  const direction = Math.sign(strengths[1]! - strengths[0]!);
  for (let i = 1; i < strengths.length; i++) {
    if (direction === 0 || Math.sign(strengths[i]! - strengths[i - 1]!) !== direction) {
      return `even change needs strengths in order from start to end, got ${strengths.join(', ')}`;
    }
  }
  return null;
}
