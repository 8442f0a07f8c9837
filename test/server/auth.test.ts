// The auth token (Bearer header or token parameter) on HTTP, /ws and socket.io, and the flags that decide when
// one is required: loopback by default; another host needs a token or an explicit --insecure.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { io as ioClient } from 'socket.io-client';
import { ConfigError, makeConfig, parseConfig } from '../../server/config.js';
import { request, startServer, type TestServer } from './helpers.js';

const TOKEN = 'test-token-0123456789';
let t: TestServer;
before(async () => {
  // Bound to all interfaces, as an operator exposing the server on a LAN would.
  t = await startServer({ host: '0.0.0.0', token: TOKEN });
});
after(async () => {
  await t.close();
});

function wsStatus(url: string): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => {});
  });
}

describe('auth token', () => {
  it('refuses HTTP requests without the right token, accepts Bearer and ?token=', async () => {
    const none = await request(`${t.url}/queue`);
    assert.equal(none.status, 401);
    assert.match(none.body.error.message, /Bearer/);
    assert.equal((await request(`${t.url}/queue`, { headers: { Authorization: 'Bearer wrong-token-000000' } })).status, 401);
    assert.equal((await request(`${t.url}/queue`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await request(`${t.url}/api/object_info?token=${TOKEN}`)).status, 200);
    assert.equal((await request(`${t.url}/prompt`, { method: 'POST', json: {} })).status, 401);
  });

  it('guards /ws and socket.io handshakes', async () => {
    const ws = t.url.replace('http', 'ws');
    assert.equal(await wsStatus(`${ws}/ws?clientId=a`), 401);
    assert.equal(await wsStatus(`${ws}/ws?clientId=a&token=nope-nope-nope`), 401);
    assert.equal(await wsStatus(`${ws}/ws?clientId=a&token=${TOKEN}`), 'open');
    const refused = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    await new Promise<void>((resolve) => refused.once('connect_error', () => resolve()));
    refused.close();
    const ok = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true, query: { token: TOKEN } });
    const status = await new Promise<unknown>((resolve, reject) => {
      ok.once('status', resolve);
      ok.once('connect_error', reject);
    });
    assert.equal((status as { status: { exec_info: { queue_remaining: number } } }).status.exec_info.queue_remaining, 0);
    ok.close();
  });
});

describe('configuration', () => {
  it('defaults to 127.0.0.1:8188 and requires a token or --insecure beyond loopback', () => {
    const config = parseConfig([], {});
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8188);
    assert.throws(() => parseConfig(['--host', '0.0.0.0'], {}), ConfigError);
    assert.equal(parseConfig(['--host', '0.0.0.0', '--insecure'], {}).insecure, true);
    assert.equal(parseConfig(['--host', '0.0.0.0'], { KONTINUOUS_TOKEN: TOKEN }).token, TOKEN);
    assert.throws(() => makeConfig({ host: '192.168.1.10' }), /auth token/);
  });

  it('reads flags over environment variables, and names bad values', () => {
    const env = { KONTINUOUS_HOST: 'localhost', KONTINUOUS_PORT: '9000', KONTINUOUS_DATA_DIR: '/tmp/x', KONTINUOUS_CACHE_MB: '512', KONTINUOUS_MAX_HISTORY: '50' };
    const fromEnv = parseConfig([], env);
    assert.equal(fromEnv.host, 'localhost');
    assert.equal(fromEnv.port, 9000);
    assert.equal(fromEnv.dataDir, '/tmp/x');
    assert.equal(fromEnv.cacheMb, 512);
    assert.equal(fromEnv.maxHistory, 50);
    const flags = parseConfig(['--port', '0', '--data-dir=/tmp/y', '--device', 'cpu', '--cache-mb', '64', '--max-history', '7', '--open'], env);
    assert.equal(flags.port, 0);
    assert.equal(flags.dataDir, '/tmp/y');
    assert.equal(flags.device, 'cpu');
    assert.equal(flags.cacheMb, 64);
    assert.equal(flags.maxHistory, 7);
    assert.equal(flags.open, true);
    assert.throws(() => parseConfig(['--port', 'http'], {}), /--port expects an integer/);
    assert.throws(() => parseConfig(['--port', '70000'], {}), /port 70000/);
    assert.throws(() => parseConfig(['--bogus'], {}), /unknown option "--bogus"/);
    assert.throws(() => parseConfig(['--token', 'short'], {}), /at least 8/);
    assert.deepEqual(parseConfig([], {}).preload, ['kontext-tiny'], 'the shipped workflows\' bundle loads at start');
    assert.deepEqual(parseConfig(['--preload', 'none'], {}).preload, []);
    assert.deepEqual(parseConfig(['--preload=a, b'], {}).preload, ['a', 'b']);
    assert.deepEqual(parseConfig([], { KONTINUOUS_PRELOAD: 'flux-kontext' }).preload, ['flux-kontext']);
  });
});
