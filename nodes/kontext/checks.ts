// Input checks of the Kontext nodes: a value made with one bundle fed into another bundle's node is a
// graph mistake the user can fix, so it gets a message naming both.
import type { KontextModel } from './sockets.js';

/** Throws Error when `value` was produced by a different bundle than `model`. */
export function assertSameModel(model: KontextModel, value: { model: string }, what: string): void {
  if (value.model !== model.name) {
    throw new Error(`the ${what} was made with model "${value.model}" but this node uses "${model.name}": connect both to the same Load Kontext Model`);
  }
}

// The checks any node uses live with the socket types; re-exported so the Kontext nodes import from one place.
export { expectImage, expectKind } from '../sockets.js';
