// The live link to the server: socket.io carrying ComfyUI's event names and payloads (the typed union shared with
// the server), binary previews, and automatic reconnection with a visible state, so a restarted server is picked
// up without a page reload.
import { io, type Socket } from 'socket.io-client';
import type { ExecutionEvent, StatusEvent } from '../../server/engine/events.js';

/** A per-step preview image as the client receives it. */
export interface PreviewFrame {
  promptId?: string;
  nodeId?: string;
  blob: Blob;
}

/** The socket as the banner and the status pill show it. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** Where the connection delivers events, previews and its state. */
export interface ConnectionHandlers {
  event(event: ExecutionEvent | StatusEvent): void;
  preview(frame: PreviewFrame): void;
  state(state: ConnectionState, reconnected: boolean): void;
}

const EVENT_NAMES = [
  'status',
  'execution_start',
  'execution_cached',
  'executing',
  'progress',
  'executed',
  'execution_success',
  'execution_error',
  'execution_interrupted',
] as const;

function toBytes(value: unknown): Uint8Array | null {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

/** Parses ComfyUI binary preview framing (type 1: format + bytes; type 4: metadata JSON + bytes). */
export function parsePreviewFrame(bytes: Uint8Array, meta: Record<string, unknown> = {}): PreviewFrame | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const looksFramed = bytes.length > 8 && (view.getUint32(0) === 1 || view.getUint32(0) === 4);
  let image = bytes;
  let info = meta;
  let mime = 'image/jpeg';
  if (looksFramed && view.getUint32(0) === 1) {
    mime = view.getUint32(4) === 2 ? 'image/png' : 'image/jpeg';
    image = bytes.subarray(8);
  } else if (looksFramed) {
    const length = view.getUint32(4);
    info = { ...meta, ...(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>) };
    image = bytes.subarray(8 + length);
    mime = info.image_type === 'image/png' || info.image_type === 'png' ? 'image/png' : 'image/jpeg';
  } else if (bytes[0] === 0x89) mime = 'image/png';
  if (info.format === 'png') mime = 'image/png';
  const nodeId = info.display_node_id ?? info.node_id ?? info.node;
  return {
    promptId: info.prompt_id as string | undefined,
    nodeId: nodeId == null ? undefined : String(nodeId),
    blob: new Blob([image as BlobPart], { type: mime }),
  };
}

/** 32 hex digits; crypto.randomUUID exists only in secure contexts, and the editor may be opened over plain http. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The socket.io connection; `clientId` is sent with every prompt so events come back to this page. */
export class ServerConnection {
  readonly clientId: string;
  private socket?: Socket;
  private everConnected = false;

  constructor(private readonly handlers: ConnectionHandlers, clientId?: string) {
    this.clientId = clientId ?? sessionStorage.getItem('kontinuous.clientId') ?? randomId();
    sessionStorage.setItem('kontinuous.clientId', this.clientId);
  }

  /** Opens the socket; reconnection is automatic and unbounded, with backoff capped at 2 s. */
  connect(url?: string, token?: string | null): void {
    this.handlers.state('connecting', false);
    const options = {
      query: token ? { clientId: this.clientId, token } : { clientId: this.clientId },
      auth: { clientId: this.clientId },
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
    };
    const socket = url ? io(url, options) : io(options);
    this.socket = socket;
    socket.on('connect', () => {
      this.handlers.state('connected', this.everConnected);
      this.everConnected = true;
    });
    socket.on('disconnect', () => this.handlers.state('disconnected', false));
    socket.on('connect_error', () => this.handlers.state('disconnected', false));
    for (const name of EVENT_NAMES) {
      socket.on(name, (data: unknown) => this.handlers.event({ type: name, data } as ExecutionEvent | StatusEvent));
    }
    socket.on('preview', (...args: unknown[]) => {
      const meta = (args.find((a) => a && typeof a === 'object' && !toBytes(a) && !toBytes((a as { image?: unknown }).image ?? (a as { data?: unknown }).data)) ?? {}) as Record<string, unknown>;
      let bytes: Uint8Array | null = null;
      for (const arg of args) {
        bytes = toBytes(arg) ?? toBytes((arg as { image?: unknown })?.image) ?? toBytes((arg as { data?: unknown })?.data);
        if (bytes) {
          if (!toBytes(arg)) Object.assign(meta, arg);
          break;
        }
      }
      if (!bytes) return;
      const frame = parsePreviewFrame(bytes, meta);
      if (frame) this.handlers.preview(frame);
    });
  }

  get connected(): boolean {
    return Boolean(this.socket?.connected);
  }

  close(): void {
    this.socket?.close();
  }
}
