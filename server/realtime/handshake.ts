// The check a socket handshake must pass (same rules as HTTP state-changing requests), injected by the app.
import type { IncomingMessage } from 'node:http';
import type { Refusal } from '../http/security.js';

/** Returns null to accept, or why the handshake is refused. `token` is one the transport found besides the URL. */
export type HandshakeCheck = (req: IncomingMessage, token: string | null) => Refusal | null;
