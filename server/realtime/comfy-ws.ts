// The raw ComfyUI WebSocket at /ws (and /api/ws) for existing clients: status first (with sid), text frames
// {type, data}, execution events to the submitting client id, binary previews as type 1, or type 4 once the
// client sent feature_flags with supports_preview_metadata.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { PreviewEvent } from '../engine/events.js';
import type { EventBus } from './event-bus.js';
import type { HandshakeCheck } from './handshake.js';
import { previewFrameType1, previewFrameType4 } from './preview-frames.js';

const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Past this much unsent data a slow client gets no more previews (events are never dropped). */
const PREVIEW_BACKLOG_BYTES = 4 * 1024 * 1024;

interface ClientState {
  clientId: string;
  previewMetadata: boolean;
}

export interface ComfyWsBridge {
  wss: WebSocketServer;
  close(): void;
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { type: 'websocket_refused', message, details: '', extra_info: {} } });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : status === 400 ? 'Bad Request' : 'Forbidden'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Handles upgrades on /ws and /api/ws; other upgrade paths except socket.io's are refused with 404. */
export function attachComfyWs(httpServer: HttpServer, bus: EventBus, check: HandshakeCheck, remaining: () => number): ComfyWsBridge {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Map<WebSocket, ClientState>();

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/socket.io/')) return; // socket.io's own listener answers these
    if (url.pathname !== '/ws' && url.pathname !== '/api/ws') return refuseUpgrade(socket, 404, `no WebSocket endpoint at ${url.pathname.slice(0, 100)}`);
    const refusal = check(req, null);
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.message);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const requested = url.searchParams.get('clientId');
      const clientId = requested && CLIENT_ID.test(requested) ? requested : randomUUID().replace(/-/g, '');
      const state: ClientState = { clientId, previewMetadata: false };
      clients.set(ws, state);
      ws.on('close', () => clients.delete(ws));
      ws.on('error', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        let message: unknown;
        try {
          message = JSON.parse(data.toString());
        } catch {
          return; // ComfyUI ignores malformed client messages too
        }
        const m = message as { type?: unknown; data?: Record<string, unknown> };
        if (m?.type === 'feature_flags' && m.data && typeof m.data === 'object') {
          state.previewMetadata = m.data.supports_preview_metadata === true;
          ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
        }
      });
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: remaining() } }, sid: clientId } }));
    });
  });

  const unsubscribe = bus.subscribe((event, target) => {
    if (clients.size === 0) return;
    if (event.type === 'preview') {
      const preview = event as PreviewEvent;
      let type1: Buffer | null = null;
      let type4: Buffer | null = null;
      for (const [ws, state] of clients) {
        if ((target !== null && state.clientId !== target) || ws.readyState !== ws.OPEN || ws.bufferedAmount > PREVIEW_BACKLOG_BYTES) continue;
        if (state.previewMetadata) ws.send((type4 ??= previewFrameType4(preview)));
        else ws.send((type1 ??= previewFrameType1(preview)));
      }
      return;
    }
    const text = JSON.stringify({ type: event.type, data: event.data });
    for (const [ws, state] of clients) {
      if ((target === null || state.clientId === target) && ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  return {
    wss,
    close() {
      unsubscribe();
      for (const ws of clients.keys()) ws.terminate();
      clients.clear();
      wss.close();
    },
  };
}
