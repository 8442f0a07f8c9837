// Content signatures of nodes: the cache key. A signature covers the class, the literal inputs (keys
// sorted), the fingerprint of external state and the signatures of the linked ancestors in input order, so a
// changed widget changes the key of exactly that node and its dependants.
import { createHash } from 'node:crypto';
import { isLinkValue, unwrapLiteral } from './graph.js';

/** JSON with object keys sorted, so equal values always serialise equally; typed arrays by content. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? `"${value}n"` : (JSON.stringify(value) ?? 'null');
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `{"$bytes":"${createHash('sha1').update(bytes).digest('hex')}"}`;
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/**
 * The signature of a node given its ancestors' signatures, or null when it must not be cached (it, or an
 * ancestor, is non-deterministic). `fingerprint` is the external-state hash, if the class defines one.
 */
export function nodeSignature(
  classType: string,
  inputs: Record<string, unknown>,
  fingerprint: string | undefined,
  ancestorSignature: (id: string) => string | null | undefined,
): string | null {
  const names = Object.keys(inputs).sort();
  let text = `${classType}\u0000${fingerprint ?? ''}`;
  for (const name of names) {
    const value = inputs[name];
    if (isLinkValue(value)) {
      const sig = ancestorSignature(String(value[0]));
      if (sig === null || sig === undefined) return null;
      text += `\u0000${name}=>${sig}#${value[1]}`;
    } else {
      text += `\u0000${name}=${stableStringify(unwrapLiteral(value))}`;
    }
  }
  return createHash('sha1').update(text).digest('base64');
}
