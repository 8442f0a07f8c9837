// Shared by the server tests: a real server on an ephemeral port with a temp data dir and the stub nodes,
// plus small clients for HTTP, the ComfyUI /ws socket and socket.io.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { io as ioClient, type Socket } from 'socket.io-client';
import { allNodes } from '../../nodes/index.js';
import { createServer, type KontinuousServer } from '../../server/app.js';
import { makeConfig, type ServerConfig, type ServerLimits } from '../../server/config.js';
import { testNodes } from '../fixtures/test-nodes.js';

export interface TestServer {
  server: KontinuousServer;
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

/** A fresh temp dir. */
export function tempDir(prefix = 'kontinuous-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts a server on 127.0.0.1:0 with the shipped and stub nodes. */
export async function startServer(
  overrides: Partial<Omit<ServerConfig, 'limits'>> & { limits?: Partial<ServerLimits> } = {},
): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = makeConfig({ host: '127.0.0.1', port: 0, shutdownGraceSeconds: 2, ...overrides, dataDir });
  const server = createServer({ config, nodes: [...allNodes, ...testNodes] });
  const { port } = await server.listen();
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small prompt: solid colour -> invert -> (Save|Preview)Image. */
export function solidPrompt(options: { red?: number; output?: 'SaveImage' | 'PreviewImage'; prefix?: string; size?: number } = {}): Record<string, unknown> {
  const size = options.size ?? 8;
  const output = options.output ?? 'SaveImage';
  return {
    '1': { class_type: 'TestSolid', inputs: { width: size, height: size, red: options.red ?? 0.25, green: 0.5, blue: 0.75, batch_size: 1 } },
    '2': { class_type: 'TestInvert', inputs: { images: ['1', 0] } },
    '3': { class_type: output, inputs: output === 'SaveImage' ? { images: ['2', 0], filename_prefix: options.prefix ?? 'test' } : { images: ['2', 0] } },
  };
}

/** A prompt whose middle node is TestSlow. */
export function slowPrompt(steps: number, stepMs: number, label = '', previews = true): Record<string, unknown> {
  return {
    '1': { class_type: 'TestSolid', inputs: { width: 8, height: 8, red: 0.1, green: 0.2, blue: 0.3, batch_size: 1 } },
    '2': { class_type: 'TestSlow', inputs: { images: ['1', 0], steps, step_ms: stepMs, previews, label } },
    '3': { class_type: 'PreviewImage', inputs: { images: ['2', 0] } },
  };
}

export interface JsonResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/** fetch + JSON; never throws on a status. */
export async function request(url: string, init: RequestInit & { json?: unknown } = {}): Promise<JsonResponse> {
  const { json, ...rest } = init;
  const res = await fetch(url, {
    ...rest,
    ...(json !== undefined && { body: JSON.stringify(json), headers: { 'Content-Type': 'application/json', ...(rest.headers as Record<string, string>) } }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text: tests assert on JSON-ness where it matters
  }
  return { status: res.status, body, headers: res.headers };
}

/** Polls /history/{id} until the prompt is there; throws after `timeoutMs`. */
export async function waitForHistory(url: string, promptId: string, timeoutMs = 15000): Promise<any> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const { body } = await request(`${url}/history/${promptId}`);
    if (body && body[promptId]) return body[promptId];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`prompt ${promptId} did not reach history within ${timeoutMs} ms`);
}

/** A PNG of a solid colour (with alpha when asked). */
export async function pngBytes(width = 8, height = 8, alpha = false): Promise<Buffer> {
  return sharp({ create: { width, height, channels: alpha ? 4 : 3, background: alpha ? { r: 200, g: 100, b: 50, alpha: 0.5 } : { r: 200, g: 100, b: 50 } } })
    .png()
    .toBuffer();
}

/** Uploads bytes through /upload/image. */
export async function upload(url: string, bytes: Uint8Array, name: string, fields: Record<string, string> = {}): Promise<JsonResponse> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return request(`${url}/upload/image`, { method: 'POST', body: form });
}

export interface WsMessage {
  type: string;
  data: any;
}

/** A ComfyUI /ws client that records text messages and binary frames. */
export class WsRecorder {
  readonly messages: WsMessage[] = [];
  readonly binary: Buffer[] = [];
  readonly ws: WebSocket;
  private waiters: Array<() => void> = [];

  constructor(url: string, clientId: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?clientId=${clientId}`, { headers });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.binary.push(Buffer.from(data as Buffer));
      else this.messages.push(JSON.parse(data.toString()) as WsMessage);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  /** Waits until `predicate` holds over what was received. */
  async until(predicate: (r: WsRecorder) => boolean, timeoutMs = 10000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Message types for one prompt (status excluded). */
  typesFor(promptId: string): string[] {
    return this.messages.filter((m) => m.type !== 'status' && m.data?.prompt_id === promptId).map((m) => m.type);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A socket.io client recording every event. */
export async function socketRecorder(url: string, clientId: string, query: Record<string, string> = {}): Promise<{ socket: Socket; events: Array<[string, any]> }> {
  const socket = ioClient(url, { transports: ['websocket'], auth: { clientId }, query, reconnection: false, forceNew: true });
  const events: Array<[string, any]> = [];
  socket.onAny((event: string, data: unknown) => events.push([event, data]));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, events };
}

/** Waits until `predicate()` is true, polling. */
export async function eventually(predicate: () => boolean, timeoutMs = 10000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
