// Conversion and range checks of widget values, ComfyUI-compatible (numeric strings are accepted for numbers).
import type { ComfyError } from './api.js';
import { errors } from './errors.js';
import type { InputSpec } from './node-definition.js';
import { choicesOf, describeInput } from './inputs.js';

const INTEGER = /^\s*[-+]?\d+\s*$/;
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

export type Checked = { ok: true; value: unknown } | { ok: false; error: ComfyError };

function toNumber(value: unknown): number | string {
  if (typeof value === 'number') return Number.isFinite(value) ? value : `${value} is not a finite number`;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return `expected a number, got ${value === null ? 'null' : typeof value}`;
}

/**
 * Converts a literal widget value to its declared type and checks min/max/choices.
 * Returns the converted value or one ComfyUI error (invalid_input_type, value_*).
 */
export function checkWidgetValue(name: string, spec: InputSpec, value: unknown): Checked {
  const config = () => describeInput(spec);
  let converted: unknown = value;
  switch (spec.type) {
    case 'INT': {
      // Python's int() takes "5" but not "5.5"; numbers are truncated like int(5.7).
      if (typeof value === 'string' && !INTEGER.test(value)) {
        return { ok: false, error: errors.invalidInputType(name, config(), 'INT', value, `'${value}' is not a whole number`) };
      }
      const n = toNumber(value);
      if (typeof n === 'string') return { ok: false, error: errors.invalidInputType(name, config(), 'INT', value, n) };
      converted = Math.trunc(n);
      break;
    }
    case 'FLOAT': {
      const n = toNumber(value);
      if (typeof n === 'string') return { ok: false, error: errors.invalidInputType(name, config(), 'FLOAT', value, n) };
      converted = n;
      break;
    }
    case 'STRING':
      if (typeof value === 'number' || typeof value === 'boolean') converted = String(value);
      else if (typeof value !== 'string') {
        return { ok: false, error: errors.invalidInputType(name, config(), 'STRING', value, `expected text, got ${value === null ? 'null' : typeof value}`) };
      }
      break;
    case 'BOOLEAN':
      if (value === 'true' || value === 1) converted = true;
      else if (value === 'false' || value === 0) converted = false;
      else if (typeof value !== 'boolean') {
        return { ok: false, error: errors.invalidInputType(name, config(), 'BOOLEAN', value, 'expected true or false') };
      }
      break;
    case 'COMBO': {
      const choices = choicesOf(spec);
      if (typeof value !== 'string' || !choices.includes(value)) {
        return { ok: false, error: errors.notInList(name, config(), value, choices) };
      }
      return { ok: true, value };
    }
    default:
      // A socket type (IMAGE, LATENT, ...) cannot be typed in: ComfyUI lets it through and fails at run time.
      return {
        ok: false,
        error: errors.invalidInputType(name, config(), spec.type, value, `a ${spec.type} input must be linked to another node's output`),
      };
  }
  if (typeof converted === 'number') {
    if (spec.min !== undefined && converted < spec.min) return { ok: false, error: errors.tooSmall(name, config(), converted, spec.min) };
    if (spec.max !== undefined && converted > spec.max) return { ok: false, error: errors.tooBig(name, config(), converted, spec.max) };
  }
  return { ok: true, value: converted };
}

/** True when an output of type `produced` may feed an input of type `wanted` ('*' and 'A,B' unions allowed). */
export function typesCompatible(produced: string, wanted: string): boolean {
  if (produced === wanted || produced === '*' || wanted === '*') return true;
  const a = produced.split(',').map((s) => s.trim());
  const b = new Set(wanted.split(',').map((s) => s.trim()));
  return a.some((t) => b.has(t));
}
