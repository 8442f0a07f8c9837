// Share links: the workflow JSON compressed with the browser's own CompressionStream('deflate-raw') and written as
// base64url into the URL fragment, which never reaches the server. Opening the link restores the same graph.

const PREFIX = '#workflow=';

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const response = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await response.arrayBuffer());
}

/** The URL fragment ("#workflow=...") that carries a workflow. */
export async function encodeShareFragment(workflow: unknown): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(workflow));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream('deflate-raw')));
}

/** The workflow in a URL fragment, or null when the fragment carries none; throws if it is corrupt. */
export async function decodeShareFragment(hash: string): Promise<unknown | null> {
  if (!hash.startsWith(PREFIX)) return null;
  try {
    const bytes = await pipe(fromBase64Url(hash.slice(PREFIX.length)), new DecompressionStream('deflate-raw'));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`The shared link is damaged and cannot be opened (${(error as Error).message}). Ask for a new link.`);
  }
}
