// Small, JSON-safe summaries of node inputs for error reports: a 4K image becomes "IMAGE 1x2160x3840", never
// 100 MB of numbers in an event.

const MAX_STRING = 200;
const MAX_ITEMS = 8;
const MAX_DEPTH = 3;

/** A JSON-safe, size-bounded description of a value (typed arrays and image batches by their shape). */
export function summariseValue(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'string':
      return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}... (${value.length} characters)` : value;
    case 'bigint':
      return `${value}n`;
    case 'function':
      return '[function]';
    case 'symbol':
      return String(value);
  }
  if (ArrayBuffer.isView(value)) {
    const n = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
    return `${value.constructor.name}(${n})`;
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${value.byteLength})`;
  const obj = value as Record<string, unknown>;
  if (typeof obj.kind === 'string' && typeof obj.count === 'number' && typeof obj.height === 'number' && typeof obj.width === 'number') {
    return `${obj.kind} ${obj.count}x${obj.height}x${obj.width}`;
  }
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[array of ${value.length}]` : '[object]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => summariseValue(v, depth + 1));
    if (value.length > MAX_ITEMS) items.push(`... (${value.length - MAX_ITEMS} more)`);
    return items;
  }
  const out: Record<string, unknown> = {};
  const keys = Object.keys(obj);
  for (const key of keys.slice(0, MAX_ITEMS * 2)) out[key] = summariseValue(obj[key], depth + 1);
  if (keys.length > MAX_ITEMS * 2) out['...'] = `${keys.length - MAX_ITEMS * 2} more keys`;
  return out;
}

/** Summaries of every input of a node, by name. */
export function summariseInputs(inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(inputs)) out[name] = summariseValue(value);
  return out;
}
