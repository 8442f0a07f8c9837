// A bundle's strength calibration (manifest `kontinuous.strength_curve`): the user's strength s goes through a
// piecewise-linear map before the projector, measured so that the average change grows evenly with s. s = 0 and
// s = 1 map to themselves; a bundle without a curve feeds s unchanged.

/** Knots [s, projector input], from [0, 0] to [1, 1], strictly increasing in both. */
export type StrengthCurve = ReadonlyArray<readonly [number, number]>;

/** The projector's input for strength s (clamped to [0, 1] when a curve maps it). */
export function projectorStrength(s: number, curve: StrengthCurve | undefined): number {
  if (!curve || curve.length === 0) return s;
  const x = Math.min(1, Math.max(0, s));
  let i = 1;
  while (i < curve.length - 1 && curve[i]![0] <= x) i++;
  const [x0, y0] = curve[i - 1]!;
  const [x1, y1] = curve[i]!;
  return y0 + ((x - x0) * (y1 - y0)) / (x1 - x0);
}

/** Why a curve cannot be used, or null: it must start at [0, 0], end at [1, 1] and increase strictly. */
export function strengthCurveProblem(curve: StrengthCurve): string | null {
  const first = curve[0];
  const last = curve.at(-1);
  if (!first || !last || first[0] !== 0 || first[1] !== 0 || last[0] !== 1 || last[1] !== 1) return 'must start at [0, 0] and end at [1, 1]';
  for (let i = 1; i < curve.length; i++) {
    if (!(curve[i]![0] > curve[i - 1]![0]) || !(curve[i]![1] > curve[i - 1]![1])) return `must increase strictly (knot ${i} does not)`;
  }
  return null;
}
