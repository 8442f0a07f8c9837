// Input checks shared by the Kontext nodes: a value made with one bundle fed into another bundle's node is a
// graph mistake the user can fix, so it gets a message naming both.
import type { ImageBatch } from '../sockets.js';
import type { KontextModel } from './sockets.js';

/** Throws Error when `value` was produced by a different bundle than `model`. */
export function assertSameModel(model: KontextModel, value: { model: string }, what: string): void {
  if (value.model !== model.name) {
    throw new Error(`the ${what} was made with model "${value.model}" but this node uses "${model.name}": connect both to the same Load Kontext Model`);
  }
}

/** Throws Error unless `value` is an object with the given socket kind (a wrong link or a stale workflow). */
export function expectKind<T extends { kind: string }>(value: unknown, kind: T['kind'], input: string): T {
  if (!value || typeof value !== 'object' || (value as { kind?: unknown }).kind !== kind) {
    throw new Error(`input "${input}" expects a ${kind} value`);
  }
  return value as T;
}

/** Throws Error unless `value` is an IMAGE batch. */
export function expectImage(value: unknown, input: string): ImageBatch {
  return expectKind<ImageBatch>(value, 'IMAGE', input);
}
