// Even change for a sweep: a model need not spread its change evenly over the strength (kontext-tiny's sweeps
// jump in places), so equal steps of strength can give a grid or an animation that stalls and then leaps. From a
// probe sweep's outputs, the change between adjacent strengths gives the path the edit travels; the strengths
// at which that path has covered equal fractions are where a sweep changes evenly. The same idea as the model
// tooling's strength calibration (training/eval/calibrate.py), per edit instead of averaged over many.

/** How far an edit has travelled by each probe strength: the running sum of the changes between neighbours. */
export interface ChangePath {
  strengths: readonly number[];
  /** cumulative[0] = 0; cumulative[i] = the summed change from strengths[0] to strengths[i]. */
  cumulative: readonly number[];
}

/**
 * The path of a probe sweep. `adjacent[i]` is the distance between the outputs at `probe[i]` and `probe[i + 1]`
 * (negative or non-finite distances count as no change).
 * @throws RangeError unless the probe is strictly increasing or strictly decreasing, has at least 2 strengths and
 * one distance per neighbouring pair.
 */
export function changePath(probe: readonly number[], adjacent: readonly number[]): ChangePath {
  if (probe.length < 2) throw new RangeError(`even change needs a probe of at least 2 strengths, got ${probe.length}`);
  if (adjacent.length !== probe.length - 1) throw new RangeError(`${probe.length} probe strengths need ${probe.length - 1} distances, got ${adjacent.length}`);
  const problem = sweepOrderProblem(probe);
  if (problem) throw new RangeError(problem);
  const cumulative = [0];
  for (const d of adjacent) cumulative.push(cumulative[cumulative.length - 1]! + (Number.isFinite(d) && d > 0 ? d : 0));
  return { strengths: [...probe], cumulative };
}

/**
 * The strength at which the path has covered `fraction` (0..1) of its change, linear between probe strengths; a
 * stretch without change is skipped. With no measurable change, the fraction of the strength range.
 */
export function strengthAtChange(path: ChangePath, fraction: number): number {
  const { strengths, cumulative } = path;
  const first = strengths[0]!;
  const last = strengths[strengths.length - 1]!;
  const total = cumulative[cumulative.length - 1]!;
  if (fraction <= 0) return first;
  if (fraction >= 1) return last;
  if (total <= 1e-9) return first + (last - first) * fraction;
  const goal = fraction * total;
  let i = 1;
  while (cumulative[i]! < goal) i++;
  const span = cumulative[i]! - cumulative[i - 1]!;
  const t = span > 0 ? (goal - cumulative[i - 1]!) / span : 1;
  return strengths[i - 1]! + (strengths[i]! - strengths[i - 1]!) * t;
}

/**
 * `count` strengths from the path's first strength to its last at which the change grows in equal parts.
 * @throws RangeError unless count >= 2.
 */
export function evenChangeStrengths(path: ChangePath, count: number): number[] {
  if (!Number.isInteger(count) || count < 2) throw new RangeError(`even change needs at least 2 strengths, got ${count}`);
  return Array.from({ length: count }, (_, j) => strengthAtChange(path, j / (count - 1)));
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
