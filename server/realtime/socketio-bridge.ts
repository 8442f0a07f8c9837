// socket.io for our editor: the same event names and payloads as ComfyUI's /ws, plus `preview` carrying the
// image as a Buffer with its metadata. A client joins the room of its clientId (handshake auth or query).
import type { Server as HttpServer } from 'node:http';
import { Server as SocketIoServer } from 'socket.io';
import type { PreviewEvent } from '../engine/events.js';
import type { EventBus } from './event-bus.js';
import { previewMetadata } from './preview-frames.js';
import type { HandshakeCheck } from './handshake.js';

const CLIENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Attaches socket.io at /socket.io; returns the server (close it on shutdown). */
export function attachSocketIo(httpServer: HttpServer, bus: EventBus, check: HandshakeCheck, remaining: () => number): SocketIoServer {
  const io = new SocketIoServer(httpServer, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    // The /ws bridge handles its own upgrades; engine.io must not destroy them.
    destroyUpgrade: false,
    // Every engine.io request (polling and the websocket upgrade) passes the Host, Origin and token checks; the
    // token travels in the query (`io(url, {query: {token}})`) or an Authorization header.
    allowRequest: (req, callback) => {
      const refusal = check(req, null);
      callback(refusal ? refusal.message : null, refusal === null);
    },
  });
  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown>;
    const requested = auth.clientId ?? socket.handshake.query.clientId;
    const clientId = typeof requested === 'string' && CLIENT_ID.test(requested) ? requested : socket.id;
    socket.data.clientId = clientId;
    next();
  });
  io.on('connection', (socket) => {
    const clientId = socket.data.clientId as string;
    void socket.join(clientId);
    socket.emit('status', { status: { exec_info: { queue_remaining: remaining() } }, sid: clientId });
  });
  bus.subscribe((event, target) => {
    const to = target === null ? io : io.to(target);
    if (event.type === 'preview') {
      const preview = event as PreviewEvent;
      to.emit('preview', { ...previewMetadata(preview), image: Buffer.from(preview.data.image.data) });
      return;
    }
    to.emit(event.type, event.data);
  });
  return io;
}
