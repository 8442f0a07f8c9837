// Shared by the browser tests: the real server (server/main.ts as `npm start` runs it, on an ephemeral port with a
// temp data dir), Debian's chromium driven by playwright-core with a fresh profile, and the editor page ready.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serverNodeArgs } from '../start-command.js';

declare global {
  interface Window {
    // The editor's test hook (client/src/main.ts); typed loosely here because the client compiles separately.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    kontinuous?: any;
  }
}

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = path.join(REPO, 'client', 'dist');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full));
    else newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds client/dist once when it is missing or older than the sources (a lock keeps parallel files apart). */
export async function ensureClientBuilt(): Promise<void> {
  const info = path.join(DIST, 'build-info.json');
  const sources = Math.max(newestMtime(path.join(REPO, 'client', 'src')), ...['index.html', 'app.css', 'build.ts'].map((f) => fs.statSync(path.join(REPO, 'client', f)).mtimeMs));
  const fresh = () => fs.existsSync(info) && fs.statSync(info).mtimeMs >= sources;
  if (fresh()) return;
  const lock = path.join(REPO, 'client', '.build-lock');
  for (let i = 0; i < 600; i++) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      if (fresh()) return;
    }
  }
  try {
    if (!fresh()) {
      const { buildClient } = await import('../../client/build.js');
      await buildClient();
    }
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export interface ProductServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  log: string[];
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns server/main.ts on `port` (0 = any) and resolves once it prints its URL. */
export async function startProductServer(options: { dataDir?: string; port?: number; testNodes?: boolean; env?: Record<string, string> } = {}): Promise<ProductServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kontinuous-e2e-'));
  const child = spawn(process.execPath, [...serverNodeArgs(), '--host', '127.0.0.1', '--port', String(options.port ?? 0), '--data-dir', dataDir], {
    cwd: REPO,
    env: { ...process.env, KONTINUOUS_TEST_NODES: options.testNodes ? '1' : '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${log.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const match = /listening on (http:\/\/\S+)/.exec(log.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!.replace(/\/$/, ''));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${log.join('')}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    dataDir,
    process: child,
    log,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill(signal);
      });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  profile: string;
  close(): Promise<void>;
}

/** Launches headless chromium with a fresh profile. */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kontinuous-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1500, height: 900 },
    acceptDownloads: true,
  });
  return {
    context,
    profile,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the editor and waits until the app is ready (node classes loaded, first workflow on the canvas). */
export async function openEditor(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(url);
  await page.waitForFunction(() => window.kontinuous?.ready === true, undefined, { timeout: 30_000 });
  // Widget positions are laid out while drawing: wait for a few frames before anything clicks on the canvas.
  await page.waitForFunction(() => window.kontinuous.canvas.frame > 2, undefined, { timeout: 10_000 });
  return page;
}

/** Uncaught page errors seen so far. */
export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

/** A small PNG (solid colour) made by the server's own codec-free path: raw bytes built here. */
export function samplePngPath(): string {
  return path.join(REPO, 'workflows', 'chelsea.png');
}

/** What a browser suite works with: the product server, the browser and the editor page on it. */
export interface EditorSession {
  server: ProductServer;
  browser: Browser;
  page: Page;
}

/**
 * Registers the suite's hooks: before it, the built client, `npm start`'s server, a browser and the editor page
 * (handed to `ready`); after it, all of them closed and the data dir removed.
 */
export function useEditorSession(options: { testNodes?: boolean; env?: Record<string, string> }, ready: (session: EditorSession) => void): void {
  let session: Partial<EditorSession> = {};
  before(async () => {
    await ensureClientBuilt();
    session.server = await startProductServer(options);
    session.browser = await launchBrowser();
    session.page = await openEditor(session.browser.context, session.server.url);
    ready(session as EditorSession);
  });
  after(async () => {
    await session.browser?.close();
    await session.server?.stop();
    if (session.server) fs.rmSync(session.server.dataDir, { recursive: true, force: true });
    session = {};
  });
}
