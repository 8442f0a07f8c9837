// Server settings from flags and environment (flags win), with the limits that protect the process.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (shipped workflows/, models/ and the built editor in client/dist/ are read from here). */
export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ServerLimits {
  /** Largest JSON request body, bytes. */
  jsonBodyBytes: number;
  /** Largest uploaded file, bytes. */
  uploadBytes: number;
  /** Most nodes one prompt may hold. */
  maxNodes: number;
  /** Deepest nesting of a JSON body (objects/arrays). */
  maxJsonDepth: number;
  /** Decompression-bomb guard for uploads and loads, pixels. */
  maxPixels: number;
  /** Widest or tallest image accepted, pixels. */
  maxSide: number;
  /** Largest batch a node may be asked for. */
  maxBatch: number;
  /** Most prompts waiting at once (a full queue answers 503). */
  maxPending: number;
}

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  /** Bearer token required on every request; null when none. */
  token: string | null;
  /** Operator's explicit consent to listen beyond loopback without a token. */
  insecure: boolean;
  /** Output-cache budget, MiB. */
  cacheMb: number;
  /** Preferred accelerator for the model runtime ('auto', 'cpu', 'cuda', 'webgpu'). */
  device: string;
  /** History entries kept; older ones are dropped first. */
  maxHistory: number;
  /** Open the editor in a browser after start (main.ts only). */
  open: boolean;
  /** Seconds a graceful shutdown waits for the running prompt before checkpointing it back to the queue. */
  shutdownGraceSeconds: number;
  /** Model bundles loaded right after start (main.ts), so the first edit does not wait for them. */
  preload: string[];
  repoDir: string;
  limits: ServerLimits;
}

export const DEFAULT_LIMITS: ServerLimits = {
  jsonBodyBytes: 8 * 1024 * 1024,
  uploadBytes: 50 * 1024 * 1024,
  maxNodes: 2000,
  maxJsonDepth: 64,
  maxPixels: 64 * 1024 * 1024,
  maxSide: 16384,
  maxBatch: 64,
  maxPending: 100_000,
};

/** The bundle the shipped workflows use. */
export const DEFAULT_BUNDLE = 'kontext-tiny';

/** A bad flag or environment value; the message names it. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Defaults for everything, overridden by `overrides` (tests pass a temp data dir and port 0). */
export function makeConfig(overrides: Partial<Omit<ServerConfig, 'limits'>> & { limits?: Partial<ServerLimits> } = {}): ServerConfig {
  const { limits, ...rest } = overrides;
  const config: ServerConfig = {
    host: '127.0.0.1',
    port: 8188,
    dataDir: path.join(REPO_DIR, 'data'),
    token: null,
    insecure: false,
    cacheMb: 2048,
    device: 'auto',
    maxHistory: 10_000,
    open: false,
    shutdownGraceSeconds: 10,
    preload: [DEFAULT_BUNDLE],
    repoDir: REPO_DIR,
    ...rest,
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
  checkConfig(config);
  return config;
}

/** True for names and addresses that only reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

function checkConfig(config: ServerConfig): void {
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) throw new ConfigError(`port ${config.port} must be an integer in 0..65535`);
  if (!isLoopbackHost(config.host) && !config.token && !config.insecure) {
    throw new ConfigError(
      `listening on ${config.host} (beyond this machine) needs an auth token: pass --token T (or KONTINUOUS_TOKEN), ` +
        'or --insecure to accept anyone who can reach the port',
    );
  }
  if (config.token !== null && config.token.length < 8) throw new ConfigError('the auth token must be at least 8 characters');
  if (!(config.cacheMb >= 0)) throw new ConfigError(`cache budget ${config.cacheMb} MiB must be a number >= 0`);
  if (!Number.isInteger(config.maxHistory) || config.maxHistory < 1) throw new ConfigError(`max history ${config.maxHistory} must be an integer >= 1`);
  if (!(config.shutdownGraceSeconds >= 0)) throw new ConfigError(`shutdown grace ${config.shutdownGraceSeconds} s must be a number >= 0`);
}

const FLAGS: Record<string, { env: string; kind: 'string' | 'int' | 'number' | 'bool' }> = {
  host: { env: 'KONTINUOUS_HOST', kind: 'string' },
  port: { env: 'KONTINUOUS_PORT', kind: 'int' },
  'data-dir': { env: 'KONTINUOUS_DATA_DIR', kind: 'string' },
  token: { env: 'KONTINUOUS_TOKEN', kind: 'string' },
  insecure: { env: 'KONTINUOUS_INSECURE', kind: 'bool' },
  'cache-mb': { env: 'KONTINUOUS_CACHE_MB', kind: 'number' },
  device: { env: 'KONTINUOUS_DEVICE', kind: 'string' },
  'max-history': { env: 'KONTINUOUS_MAX_HISTORY', kind: 'int' },
  open: { env: 'KONTINUOUS_OPEN', kind: 'bool' },
  'shutdown-grace': { env: 'KONTINUOUS_SHUTDOWN_GRACE', kind: 'number' },
  preload: { env: 'KONTINUOUS_PRELOAD', kind: 'string' },
};

export const USAGE = `Usage: npm start -- [options]
  --host H          address to listen on (default 127.0.0.1; KONTINUOUS_HOST)
  --port P          port, 0 picks a free one (default 8188; KONTINUOUS_PORT)
  --data-dir D      input/, output/, temp/ and the queue database (default ./data; KONTINUOUS_DATA_DIR)
  --token T         require "Authorization: Bearer T" (or ?token=T) on every request (KONTINUOUS_TOKEN)
  --insecure        allow a non-loopback host without a token (prints a warning; KONTINUOUS_INSECURE=1)
  --cache-mb N      output-cache budget in MiB (default 2048; KONTINUOUS_CACHE_MB)
  --device D        auto | cpu | cuda | webgpu (default auto; KONTINUOUS_DEVICE)
  --max-history N   history entries kept (default 10000; KONTINUOUS_MAX_HISTORY)
  --open            open the editor in a browser
  --shutdown-grace S  seconds SIGINT/SIGTERM waits for the running prompt before re-queueing it (default 10)
  --preload B       model bundles to load at start, comma-separated, or none (default ${DEFAULT_BUNDLE}; KONTINUOUS_PRELOAD)`;

/** "a, b" -> ['a', 'b']; "none" or nothing -> []. */
function bundleList(raw: string): string[] {
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  return names.length === 1 && names[0]!.toLowerCase() === 'none' ? [] : names;
}

function convert(name: string, kind: string, raw: string): unknown {
  if (kind === 'string') return raw;
  if (kind === 'bool') {
    if (/^(1|true|yes|on|)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`--${name} expects true or false, got "${raw}"`);
  }
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (kind === 'int' && !Number.isInteger(value))) {
    throw new ConfigError(`--${name} expects ${kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
  }
  return value;
}

/** Parses command-line flags over environment variables over defaults; throws ConfigError naming a bad value. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const values: Record<string, unknown> = {};
  for (const [name, { env: key, kind }] of Object.entries(FLAGS)) {
    const raw = env[key];
    if (raw !== undefined && raw !== '') values[name] = convert(name, kind, raw);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') throw new ConfigError(USAGE);
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const spec = match ? FLAGS[match[1]!] : undefined;
    if (!match || !spec) throw new ConfigError(`unknown option "${arg}"\n${USAGE}`);
    let raw = match[2];
    if (raw === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'bool' && (next === undefined || next.startsWith('--') || !/^(true|false|1|0)$/i.test(next))) raw = 'true';
      else if (next === undefined) throw new ConfigError(`--${match[1]} needs a value`);
      else raw = argv[++i]!;
    }
    values[match[1]!] = convert(match[1]!, spec.kind, raw);
  }
  return makeConfig({
    ...(values.host !== undefined && { host: values.host as string }),
    ...(values.port !== undefined && { port: values.port as number }),
    ...(values['data-dir'] !== undefined && { dataDir: path.resolve(values['data-dir'] as string) }),
    ...(values.token !== undefined && { token: values.token as string }),
    ...(values.insecure !== undefined && { insecure: values.insecure as boolean }),
    ...(values['cache-mb'] !== undefined && { cacheMb: values['cache-mb'] as number }),
    ...(values.device !== undefined && { device: values.device as string }),
    ...(values['max-history'] !== undefined && { maxHistory: values['max-history'] as number }),
    ...(values.open !== undefined && { open: values.open as boolean }),
    ...(values['shutdown-grace'] !== undefined && { shutdownGraceSeconds: values['shutdown-grace'] as number }),
    ...(values.preload !== undefined && { preload: bundleList(values.preload as string) }),
  });
}
