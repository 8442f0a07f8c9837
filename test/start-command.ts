// The node arguments `npm start` uses (package.json's start script), so every test and benchmark that spawns the
// server runs it exactly as a user does, V8 flags included, in one process whose pid is the server's.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..');

/** The start script's arguments after `node` (flags and the entry file), e.g. ['--import', 'tsx', 'server/main.ts']. */
export function serverNodeArgs(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const [command, ...args] = scripts.start!.trim().split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script must run node directly, got: ${scripts.start}`);
  return args;
}
