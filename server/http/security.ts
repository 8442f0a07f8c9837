// Request checks shared by express, the socket.io handshake and the /ws upgrade: DNS-rebinding (Host), cross-site
// requests (Origin, Sec-Fetch-Site) and the bearer token. ComfyUI's CVE list is the attack list this answers.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config.js';

export interface SecurityPolicy {
  /** Bound to loopback: only loopback Host headers are served (a rebinding page cannot name this server). */
  loopbackOnly: boolean;
  token: string | null;
}

/** Why a request was refused: the status and a message a person can act on. */
export interface Refusal {
  status: 400 | 401 | 403;
  type: string;
  message: string;
}

/** The hostname of a Host header value ("[::1]:8188" -> "::1"), or null when malformed. */
function hostnameOf(host: string): string | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/]+)(?::(\d{1,5}))?$/i.exec(host.trim());
  return m ? m[1]!.replace(/^\[|\]$/g, '').toLowerCase() : null;
}

function normaliseHost(host: string, scheme: string): string {
  const lower = host.trim().toLowerCase();
  const defaultPort = scheme === 'https:' || scheme === 'wss:' ? ':443' : ':80';
  return lower.endsWith(defaultPort) ? lower.slice(0, -defaultPort.length) : lower;
}

function sameToken(given: string, expected: string): boolean {
  // Hash first so lengths match and the comparison time says nothing about the token.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The token a request carries: `Authorization: Bearer T`, or `?token=T` (sockets and image tags cannot set headers). */
export function tokenOf(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q >= 0) {
    const token = new URLSearchParams(url.slice(q + 1)).get('token');
    if (token) return token;
  }
  return null;
}

/**
 * Checks one request. `stateChanging` (POST and friends, socket handshakes) adds the Origin check. Returns null
 * when the request may proceed, else the refusal.
 */
export function inspectRequest(req: IncomingMessage, policy: SecurityPolicy, stateChanging: boolean, extraToken?: string | null): Refusal | null {
  const host = header(req, 'host');
  if (!host) return { status: 400, type: 'missing_host', message: 'the request has no Host header' };
  const hostname = hostnameOf(host);
  if (!hostname) return { status: 400, type: 'bad_host', message: `the Host header "${host.slice(0, 100)}" is malformed` };
  if (policy.loopbackOnly && !isLoopbackHost(hostname)) {
    return {
      status: 403,
      type: 'host_not_allowed',
      message: `this server listens on loopback only and refuses Host "${hostname.slice(0, 100)}" (DNS rebinding protection); use localhost or 127.0.0.1`,
    };
  }
  if (policy.token) {
    const given = extraToken ?? tokenOf(req);
    if (!given || !sameToken(given, policy.token)) {
      return { status: 401, type: 'unauthorized', message: 'a valid auth token is required: send "Authorization: Bearer <token>" or ?token=<token>' };
    }
  }
  if ((header(req, 'sec-fetch-site') ?? '').toLowerCase() === 'cross-site') {
    return { status: 403, type: 'cross_site', message: 'cross-site requests are refused (Sec-Fetch-Site: cross-site)' };
  }
  const origin = header(req, 'origin');
  if (stateChanging && origin !== undefined) {
    if (origin === 'null' || origin === '') {
      return { status: 403, type: 'bad_origin', message: 'requests from an opaque origin (Origin: null) are refused' };
    }
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return { status: 403, type: 'bad_origin', message: `the Origin header "${origin.slice(0, 100)}" is not a URL` };
    }
    if (normaliseHost(parsed.host, parsed.protocol) !== normaliseHost(host, parsed.protocol)) {
      return {
        status: 403,
        type: 'cross_origin',
        message: `cross-origin request refused: Origin ${parsed.host.slice(0, 100)} does not match Host ${host.slice(0, 100)}`,
      };
    }
  }
  return null;
}

/** True for methods that change state (and so need the Origin check). */
export function isStateChanging(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}
