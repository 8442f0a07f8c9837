// The hostile-input suite: traversal (raw, encoded, symlinked), cross-site and null origins, DNS rebinding,
// oversized/nested/non-JSON bodies, huge prompts, non-image/SVG/bomb uploads, bad multipart, unknown nodes and
// types. Every request must get a 4xx with a JSON error, and the server must still work afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writePngChunks } from '../../server/media/png-text.js';
import { pngBytes, request, solidPrompt, startServer, waitForHistory, type TestServer } from './helpers.js';

let t: TestServer;
let host: string;
const answered: Array<{ name: string; status: number }> = [];

before(async () => {
  t = await startServer({ limits: { jsonBodyBytes: 256 * 1024, uploadBytes: 1024 * 1024, maxNodes: 100, maxPixels: 4 * 1024 * 1024, maxSide: 4096, maxBatch: 16 } });
  host = `127.0.0.1:${t.port}`;
  const out = path.join(t.dataDir, 'output');
  fs.writeFileSync(path.join(out, 'notes.txt'), 'secret notes');
  fs.writeFileSync(path.join(out, 'page.png'), '<html><script>alert(1)</script></html>');
  fs.writeFileSync(path.join(out, 'vector.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  fs.writeFileSync(path.join(t.dataDir, 'outside.png'), await pngBytes(4, 4));
  fs.symlinkSync('/etc', path.join(out, 'etc-link'));
  fs.symlinkSync(path.join(t.dataDir, 'outside.png'), path.join(out, 'escape.png'));
  fs.symlinkSync(t.dataDir, path.join(t.dataDir, 'input', 'up'));
});
after(async () => {
  await t.close();
});

interface Raw {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  noHost?: boolean;
}

/** A request with full control of the path and headers (fetch would normalise `..` and forbid Host). */
function raw(req: Raw): Promise<{ status: number; body: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(req.noHost ? {} : { Host: host }), ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const r = http.request({ host: '127.0.0.1', port: t.port, method: req.method ?? 'GET', path: req.path, headers, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), contentType: String(res.headers['content-type'] ?? '') }));
    });
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** Sends one hostile request and asserts a 4xx JSON error (optionally a specific status). */
async function hostile(name: string, req: Raw, status?: number): Promise<void> {
  const res = await raw(req);
  answered.push({ name, status: res.status });
  assert.ok(res.status >= 400 && res.status < 500, `${name}: expected 4xx, got ${res.status} ${res.body.slice(0, 200)}`);
  if (status !== undefined) assert.equal(res.status, status, `${name}: ${res.body.slice(0, 200)}`);
  assert.match(res.contentType, /^application\/json/, `${name}: content type ${res.contentType}`);
  const body = JSON.parse(res.body);
  // socket.io's handshake refusals keep engine.io's own JSON shape ({code, message}); everything else is ours.
  const message = req.path.startsWith('/socket.io/') ? body.message : body.error?.message;
  assert.equal(typeof message, 'string', `${name}: ${res.body.slice(0, 200)}`);
  assert.ok(!/\n\s+at /.test(res.body), `${name}: a stack trace leaked`);
}

const json = (value: unknown): Raw['headers'] => ({ 'Content-Type': 'application/json', ...(value as object) });
const post = (p: string, body: string | Buffer, headers: Record<string, string> = {}): Raw => ({ method: 'POST', path: p, body, headers: { 'Content-Type': 'application/json', ...headers } });

function multipart(parts: Array<{ name: string; filename?: string; data: string | Buffer; type?: string }>, boundary = 'XboundaryX'): { body: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ''}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename !== undefined ? `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } };
}

function uploadReq(parts: Parameters<typeof multipart>[0], headers: Record<string, string> = {}): Raw {
  const m = multipart(parts);
  return { method: 'POST', path: '/upload/image', body: m.body, headers: { ...m.headers, ...headers } };
}

/** A PNG whose header claims width x height, with almost no data: a decompression bomb's signature. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return writePngChunks([
    { name: 'IHDR', data: ihdr },
    { name: 'IDAT', data: Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) },
    { name: 'IEND', data: Buffer.alloc(0) },
  ]);
}

describe('hostile requests', () => {
  it('path traversal in /view: raw, encoded, double-encoded, absolute, backslashes, symlinks', async () => {
    await hostile('dotdot filename', { path: '/view?filename=../../../../etc/passwd&type=output' }, 400);
    await hostile('dotdot encoded', { path: '/view?filename=..%2F..%2F..%2Fetc%2Fpasswd&type=output' }, 400);
    await hostile('dotdot double-encoded', { path: '/view?filename=%252e%252e%252f%252e%252e%252fetc%252fpasswd&type=output' }, 400);
    await hostile('dotdot triple-encoded', { path: '/view?filename=%25252e%25252e%25252fsecret&type=output' }, 400);
    await hostile('absolute filename', { path: '/view?filename=/etc/passwd&type=output' }, 400);
    await hostile('absolute encoded', { path: '/view?filename=%2Fetc%2Fpasswd&type=output' }, 400);
    await hostile('dotdot subfolder', { path: '/view?filename=passwd&subfolder=../../../../etc&type=output' }, 400);
    await hostile('absolute subfolder', { path: '/view?filename=passwd&subfolder=/etc&type=output' }, 400);
    await hostile('backslash traversal', { path: '/view?filename=..%5C..%5Cwindows%5Cwin.ini&type=output' }, 400);
    await hostile('drive letter', { path: '/view?filename=C:%5Cwindows%5Cwin.ini&type=output' }, 400);
    await hostile('NUL byte', { path: '/view?filename=a.png%00.txt&type=output' }, 400);
    await hostile('unknown type', { path: '/view?filename=a.png&type=secrets' }, 400);
    await hostile('traversal type', { path: '/view?filename=a.png&type=../input' }, 400);
    await hostile('empty filename', { path: '/view?filename=&type=output' }, 400);
    await hostile('repeated filename', { path: '/view?filename=a.png&filename=b.png' }, 400);
    await hostile('symlinked folder to /etc', { path: '/view?filename=passwd&subfolder=etc-link&type=output' }, 403);
    await hostile('symlinked file escaping', { path: '/view?filename=escape.png&type=output' }, 403);
    await hostile('symlinked input to data dir', { path: '/view?filename=queue.sqlite&subfolder=up&type=input' }, 403);
    await hostile('missing file', { path: '/view?filename=nothing-here.png&type=output' }, 404);
    await hostile('text file', { path: '/view?filename=notes.txt&type=output' }, 415);
    await hostile('HTML named .png', { path: '/view?filename=page.png&type=output' }, 415);
    await hostile('SVG', { path: '/view?filename=vector.svg&type=output' }, 415);
    await hostile('bad preview format', { path: '/view?filename=escape.png&type=input&preview=svg' });
    await hostile('dotdot in URL path', { path: '/view/../../../etc/passwd' }, 404);
    await hostile('encoded dotdot in URL path', { path: '/%2e%2e/%2e%2e/etc/passwd' }, 404);
    await hostile('workflow traversal', { path: '/api/workflows/..%2F..%2Fpackage' });
    await hostile('workflow dotdot name', { method: 'PUT', path: '/api/workflows/%2e%2e', body: '{}', headers: json({}) });
  });

  it('cross-site, null-origin and rebinding requests', async () => {
    const prompt = JSON.stringify({ prompt: solidPrompt() });
    await hostile('foreign origin POST /prompt', post('/prompt', prompt, { Origin: 'http://evil.example' }), 403);
    await hostile('null origin POST /prompt', post('/prompt', prompt, { Origin: 'null' }), 403);
    await hostile('file origin POST /queue', post('/queue', '{"clear":true}', { Origin: 'file://' }), 403);
    await hostile('other localhost port', post('/interrupt', '{}', { Origin: 'http://127.0.0.1:1' }), 403);
    await hostile('look-alike origin', post('/prompt', prompt, { Origin: `http://${host}.evil.example` }), 403);
    await hostile('cross-site fetch GET', { path: '/queue', headers: { 'Sec-Fetch-Site': 'cross-site' } }, 403);
    await hostile('cross-site fetch POST', post('/interrupt', '{}', { 'Sec-Fetch-Site': 'cross-site' }), 403);
    await hostile('cross-origin upload', uploadReq([{ name: 'image', filename: 'a.png', data: 'x' }], { Origin: 'http://evil.example' }), 403);
    await hostile('cross-origin history clear', post('/history', '{"clear":true}', { Origin: 'https://evil.example' }), 403);
    await hostile('text/plain CSRF shape', { method: 'POST', path: '/prompt', body: prompt, headers: { 'Content-Type': 'text/plain', Origin: 'http://evil.example' } }, 403);
    await hostile('rebinding Host', { path: '/object_info', headers: { Host: 'evil.example' } }, 403);
    await hostile('rebinding Host and Origin', post('/prompt', prompt, { Host: `evil.example:${t.port}`, Origin: `http://evil.example:${t.port}` }), 403);
    await hostile('look-alike Host', { path: '/queue', headers: { Host: `127.0.0.1.evil.example:${t.port}` } }, 403);
    await hostile('missing Host', { path: '/queue', noHost: true }, 400);
    await hostile('malformed Host', { path: '/queue', headers: { Host: 'a b/c' } }, 400);
    await hostile('socket.io foreign origin', { path: '/socket.io/?EIO=4&transport=polling', headers: { Origin: 'http://evil.example' } });
    await hostile('socket.io null origin', { path: '/socket.io/?EIO=4&transport=polling', headers: { Origin: 'null' } });
    await hostile('cross-origin workflow delete', { method: 'DELETE', path: '/api/workflows/x', headers: { Origin: 'http://evil.example' } }, 403);
  });

  it('WebSocket handshakes from foreign or null origins and unknown paths', async () => {
    for (const [name, p, origin, expected] of [
      ['ws foreign origin', '/ws?clientId=x', 'http://evil.example', 403],
      ['ws null origin', '/ws?clientId=x', 'null', 403],
      ['ws unknown path', '/not-a-socket', `http://${host}`, 404],
    ] as const) {
      const res = await raw({
        path: p,
        headers: { Origin: origin, Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      answered.push({ name, status: res.status });
      assert.equal(res.status, expected, name);
      assert.equal(typeof JSON.parse(res.body).error.message, 'string');
    }
  });

  it('bodies: non-JSON, truncated, wrong shapes, oversized, deeply nested, bad encodings', async () => {
    await hostile('not JSON', post('/prompt', 'hello there'), 400);
    await hostile('truncated JSON', post('/prompt', '{"prompt": {"1": '), 400);
    await hostile('JSON array body', post('/prompt', '[1,2,3]'), 400);
    await hostile('JSON string body', post('/prompt', '"prompt"'), 400);
    await hostile('oversized body', post('/prompt', JSON.stringify({ prompt: {}, pad: 'x'.repeat(300 * 1024) })), 413);
    await hostile('deep nesting', post('/prompt', '['.repeat(5000) + ']'.repeat(5000)), 400);
    await hostile('deep nesting in inputs', post('/prompt', JSON.stringify({ prompt: { '1': { class_type: 'SaveImage', inputs: { images: JSON.parse('['.repeat(100) + ']'.repeat(100)) } } } })), 400);
    await hostile('UTF-16 charset', post('/prompt', '{}', { 'Content-Type': 'application/json; charset=utf-16' }));
    await hostile('Latin-1 charset', post('/prompt', '{}', { 'Content-Type': 'application/json; charset=latin1' }), 415);
    await hostile('gzip garbage', post('/prompt', 'not gzip at all', { 'Content-Encoding': 'gzip' }));
    await hostile('unknown encoding', post('/prompt', '{}', { 'Content-Encoding': 'br-ish' }), 415);
    await hostile('queue delete not a list', post('/queue', '{"delete":"all"}'), 400);
    await hostile('history delete numbers', post('/history', '{"delete":[1,2]}'), 400);
    await hostile('interrupt id not text', post('/interrupt', '{"prompt_id":{"$ne":null}}'), 400);
    await hostile('history bad max_items', { path: '/history?max_items=lots' }, 400);
    await hostile('history negative offset', { path: '/history?offset=-5' }, 400);
  });

  it('prompts: huge, over limits, unknown nodes and types, bad ids and fields', async () => {
    const huge: Record<string, unknown> = {};
    for (let i = 0; i < 150; i++) huge[String(i)] = { class_type: 'TestSolid', inputs: {} };
    const solid = (inputs: Record<string, unknown>) => ({ '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: 0, green: 0, blue: 0, batch_size: 1, ...inputs } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'h' } } });
    const send = (body: unknown) => post('/prompt', JSON.stringify(body));
    await hostile('too many nodes', send({ prompt: huge }), 400);
    await hostile('huge batch', send({ prompt: solid({ batch_size: 1_000_000 }) }), 400);
    await hostile('huge width', send({ prompt: solid({ width: 100_000 }) }), 400);
    await hostile('unknown node class', send({ prompt: { '1': { class_type: 'os.system', inputs: { cmd: 'rm -rf /' } } } }), 400);
    await hostile('missing class_type', send({ prompt: { '1': { inputs: {} } } }), 400);
    await hostile('link to a missing node', send({ prompt: { '2': { class_type: 'SaveImage', inputs: { images: ['99', 0], filename_prefix: 'x' } } } }), 400);
    await hostile('wrong widget type', send({ prompt: solid({ width: 'wide' }) }), 400);
    await hostile('wrong socket type', send({ prompt: { '1': { class_type: 'LoadImage', inputs: { image: 'x.png' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 1], filename_prefix: 'x' } } } }), 400);
    await hostile('cycle', send({ prompt: { '1': { class_type: 'TestInvert', inputs: { images: ['2', 0] } }, '2': { class_type: 'TestInvert', inputs: { images: ['1', 0] } }, '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'x' } } } }), 400);
    await hostile('prompt is a list', send({ prompt: [1, 2] }), 400);
    await hostile('prompt is text', send({ prompt: 'run everything' }), 400);
    await hostile('load image traversal', send({ prompt: { '1': { class_type: 'LoadImage', inputs: { image: '../../../etc/passwd' } }, '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } } } }), 400);
    await hostile('prompt_id with a path', send({ prompt: solidPrompt(), prompt_id: '../../etc' }), 400);
    await hostile('client_id not text', send({ prompt: solidPrompt(), client_id: { x: 1 } }), 400);
    await hostile('number not a number', send({ prompt: solidPrompt(), number: 'first' }), 400);
    await hostile('extra_data a list', send({ prompt: solidPrompt(), extra_data: [] }), 400);
    await hostile('partial targets not a list', send({ prompt: solidPrompt(), partial_execution_targets: '3' }), 400);
  });

  it('uploads: non-images, SVG, HTML, bombs, oversize, bad multipart, bad fields', async () => {
    const png = await pngBytes(4, 4);
    await hostile('text upload', uploadReq([{ name: 'image', filename: 'a.png', data: 'just some text, not an image' }]), 400);
    await hostile('SVG upload', uploadReq([{ name: 'image', filename: 'a.svg', data: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>', type: 'image/svg+xml' }]), 400);
    await hostile('HTML upload as .png', uploadReq([{ name: 'image', filename: 'a.png', data: '<!doctype html><script>alert(1)</script>', type: 'image/png' }]), 400);
    await hostile('decompression bomb', uploadReq([{ name: 'image', filename: 'bomb.png', data: bombPng(30000, 30000) }]), 400);
    await hostile('too wide', uploadReq([{ name: 'image', filename: 'wide.png', data: bombPng(5000, 10) }]), 400);
    await hostile('truncated PNG', uploadReq([{ name: 'image', filename: 't.png', data: png.subarray(0, 30) }]), 400);
    await hostile('GIF header, garbage body', uploadReq([{ name: 'image', filename: 'g.gif', data: Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(64, 7)]) }]), 400);
    await hostile('empty file', uploadReq([{ name: 'image', filename: 'e.png', data: '' }]), 400);
    await hostile('oversize upload', uploadReq([{ name: 'image', filename: 'big.png', data: Buffer.alloc(1024 * 1024 + 10, 1) }]), 413);
    await hostile('no boundary', { method: 'POST', path: '/upload/image', body: 'x', headers: { 'Content-Type': 'multipart/form-data' } }, 400);
    await hostile('garbage multipart', { method: 'POST', path: '/upload/image', body: 'this is not multipart', headers: { 'Content-Type': 'multipart/form-data; boundary=zzz' } }, 400);
    await hostile('not multipart', post('/upload/image', '{"image":"data"}'), 400);
    await hostile('no file', uploadReq([{ name: 'type', data: 'input' }]), 400);
    await hostile('wrong file field', uploadReq([{ name: 'file', filename: 'a.png', data: png }]), 400);
    await hostile('upload type traversal', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'type', data: '../..' }]), 400);
    await hostile('upload unknown type', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'type', data: 'models' }]), 400);
    await hostile('upload subfolder traversal', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'subfolder', data: '../../..' }]), 400);
    await hostile('upload absolute subfolder', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'subfolder', data: '/tmp' }]), 400);
    await hostile('upload subfolder through symlink', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'subfolder', data: 'up' }]), 403);
    await hostile('too many parts', uploadReq(Array.from({ length: 40 }, (_, i) => ({ name: `f${i}`, data: 'x' }))), 400);
    await hostile('oversized field', uploadReq([{ name: 'image', filename: 'a.png', data: png }, { name: 'subfolder', data: 'x'.repeat(10000) }]), 400);
  });

  it('answered at least 60 hostile requests, each with a 4xx, and the server is still healthy', async () => {
    assert.ok(answered.length >= 60, `only ${answered.length} hostile requests`);
    const stats = await request(`${t.url}/system_stats`);
    assert.equal(stats.status, 200);
    // A traversal-shaped upload name is reduced to its base name inside the input area.
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await pngBytes(4, 4))]), '../../evil.png');
    const up = await request(`${t.url}/upload/image`, { method: 'POST', body: form });
    assert.equal(up.status, 200);
    assert.equal(up.body.name, 'evil.png');
    assert.ok(fs.existsSync(path.join(t.dataDir, 'input', 'evil.png')));
    assert.ok(!fs.existsSync(path.join(path.dirname(t.dataDir), 'evil.png')));
    const res = await request(`${t.url}/prompt`, { method: 'POST', json: { prompt: solidPrompt() } });
    assert.equal(res.status, 200);
    assert.equal((await waitForHistory(t.url, res.body.prompt_id)).status.status_str, 'success');
  });
});
