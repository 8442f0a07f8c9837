// Turning the Strength node's widgets into the list of strengths a sweep renders. Pure, so the node's
// validate() and run() agree and tests can check the rules directly.

export type StrengthMode = 'single' | 'sweep' | 'list';
export const STRENGTH_MODES: readonly StrengthMode[] = ['single', 'sweep', 'list'];

/** The most strengths one node may ask for: each one is a full denoise in the batch. */
export const MAX_STRENGTHS = 64;

export interface StrengthWidgets {
  mode: StrengthMode;
  value: number;
  start: number;
  end: number;
  count: number;
  list: string;
}

/** Rounds to 4 decimals so 0.1 + 0.2 style float noise never shows up in labels or cache keys. */
function tidy(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/**
 * Parses a list such as "0, 0.25, .5 1" (commas, semicolons or spaces). Throws Error naming the first entry that
 * is not a number in [0, 1], or when the list is empty or longer than MAX_STRENGTHS.
 */
export function parseStrengthList(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p.length > 0);
  if (parts.length === 0) throw new Error('the strength list is empty: write numbers between 0 and 1, e.g. "0, 0.25, 0.5, 1"');
  if (parts.length > MAX_STRENGTHS) throw new Error(`the strength list has ${parts.length} entries; at most ${MAX_STRENGTHS} are allowed`);
  return parts.map((part, i) => {
    const value = Number(part);
    if (!Number.isFinite(value)) throw new Error(`strength list entry ${i + 1} ("${part}") is not a number`);
    if (value < 0 || value > 1) throw new Error(`strength list entry ${i + 1} (${part}) is outside 0..1`);
    return tidy(value);
  });
}

/** Evenly spaced strengths from start to end inclusive (count 1 gives [start]). Throws Error for a bad count. */
export function sweepStrengths(start: number, end: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_STRENGTHS) {
    throw new Error(`sweep count ${count} must be a whole number from 1 to ${MAX_STRENGTHS}`);
  }
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new Error(`sweep ${name} ${v} is outside 0..1`);
  }
  if (count === 1) return [tidy(start)];
  return Array.from({ length: count }, (_, i) => tidy(start + ((end - start) * i) / (count - 1)));
}

/** The strengths the widgets describe, per mode. Throws Error with a message fit for the node's user. */
export function resolveStrengths(w: StrengthWidgets): number[] {
  switch (w.mode) {
    case 'single':
      if (!Number.isFinite(w.value) || w.value < 0 || w.value > 1) throw new Error(`strength ${w.value} is outside 0..1`);
      return [tidy(w.value)];
    case 'sweep':
      return sweepStrengths(w.start, w.end, w.count);
    case 'list':
      return parseStrengthList(w.list);
    default:
      throw new Error(`unknown strength mode "${String(w.mode)}" (use ${STRENGTH_MODES.join(', ')})`);
  }
}

/** A strength as a short label ("0.25"), as grids and file names show it. */
export function formatStrength(value: number): string {
  const s = tidy(value).toFixed(2);
  return tidy(value) === Number(s) ? s : String(tidy(value));
}
