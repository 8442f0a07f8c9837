// The workflow library: shipped templates (the repository's workflows/, read-only) and the user's saved
// workflows (<data dir>/workflows/). Names are checked before they touch the file system.
import fs from 'node:fs';
import path from 'node:path';
import { parseWorkflow } from '../engine/workflow/migrations.js';
import { serializeWorkflow } from '../engine/workflow/migrations.js';

export type WorkflowSource = 'template' | 'saved';

export interface WorkflowSummary {
  name: string;
  source: WorkflowSource;
  size: number;
  modified: number;
  /** The workflow's own `extra.description` (templates carry one), at most DESCRIPTION_CHARS characters. */
  description?: string;
}

const DESCRIPTION_CHARS = 300;

/** `extra.description` of a workflow file, or undefined when it has none or cannot be read. */
function descriptionOf(file: string): string | undefined {
  try {
    const description = (JSON.parse(fs.readFileSync(file, 'utf8')) as { extra?: { description?: unknown } }).extra?.description;
    return typeof description === 'string' && description.trim() ? description.trim().slice(0, DESCRIPTION_CHARS) : undefined;
  } catch {
    return undefined;
  }
}

/** A refused name, a missing workflow or an invalid file; `status` is the HTTP answer. */
export class WorkflowLibraryError extends Error {
  override name = 'WorkflowLibraryError';
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,99}$/;

/** Checks a workflow name ("my edit" or "my edit.json"); returns it without the extension. Throws WorkflowLibraryError 400. */
export function checkWorkflowName(name: unknown): string {
  if (typeof name !== 'string') throw new WorkflowLibraryError('the workflow name must be text', 400);
  const bare = name.endsWith('.json') ? name.slice(0, -5) : name;
  if (!NAME.test(bare) || bare.includes('..')) {
    throw new WorkflowLibraryError(
      `invalid workflow name "${bare.slice(0, 100)}": use 1-100 letters, digits, spaces, "_", "-", ".", "(" or ")", starting with a letter or digit`,
      400,
    );
  }
  return bare;
}

export class WorkflowLibrary {
  readonly savedDir: string;

  constructor(
    readonly templatesDir: string,
    dataDir: string,
  ) {
    this.savedDir = path.join(dataDir, 'workflows');
    fs.mkdirSync(this.savedDir, { recursive: true });
  }

  private static listDir(dir: string, source: WorkflowSource): WorkflowSummary[] {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    const out: WorkflowSummary[] = [];
    for (const file of names.sort()) {
      if (!file.endsWith('.json') || !NAME.test(file.slice(0, -5))) continue;
      const stat = fs.statSync(path.join(dir, file), { throwIfNoEntry: false });
      if (!stat?.isFile()) continue;
      const description = descriptionOf(path.join(dir, file));
      out.push({ name: file.slice(0, -5), source, size: stat.size, modified: Math.round(stat.mtimeMs), ...(description && { description }) });
    }
    return out;
  }

  /** Templates first, then saved workflows, each sorted by name. */
  list(): WorkflowSummary[] {
    return [...WorkflowLibrary.listDir(this.templatesDir, 'template'), ...WorkflowLibrary.listDir(this.savedDir, 'saved')];
  }

  private dirOf(source: WorkflowSource): string {
    return source === 'template' ? this.templatesDir : this.savedDir;
  }

  /**
   * Reads a workflow (from `source`, or saved first then templates), migrated to the current version.
   * Throws WorkflowLibraryError: 400 bad name, 404 missing.
   */
  get(name: string, source?: WorkflowSource): { name: string; source: WorkflowSource; workflow: unknown } {
    const bare = checkWorkflowName(name);
    for (const s of source ? [source] : (['saved', 'template'] as const)) {
      const file = path.join(this.dirOf(s), `${bare}.json`);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      try {
        return { name: bare, source: s, workflow: parseWorkflow(text).workflow };
      } catch {
        // A template in another shape (an API prompt, say) is still served as it is.
        return { name: bare, source: s, workflow: JSON.parse(text) as unknown };
      }
    }
    throw new WorkflowLibraryError(`no workflow named "${bare}"${source ? ` among ${source}s` : ''}`, 404);
  }

  /**
   * Validates (and migrates) a workflow and saves it under `name`. Throws WorkflowLibraryError: 400 for a bad
   * name or an invalid workflow, 409 when it exists and `overwrite` is false.
   */
  save(name: string, workflow: unknown, overwrite: boolean): WorkflowSummary {
    const bare = checkWorkflowName(name);
    let parsed;
    try {
      parsed = parseWorkflow(workflow).workflow;
    } catch (error) {
      throw new WorkflowLibraryError((error as Error).message, 400);
    }
    const file = path.join(this.savedDir, `${bare}.json`);
    if (!overwrite && fs.existsSync(file)) throw new WorkflowLibraryError(`a saved workflow named "${bare}" exists; save with overwrite`, 409);
    const tmp = `${file}.${process.pid}.part`;
    fs.writeFileSync(tmp, serializeWorkflow(parsed, 1));
    fs.renameSync(tmp, file);
    const stat = fs.statSync(file);
    return { name: bare, source: 'saved', size: stat.size, modified: Math.round(stat.mtimeMs) };
  }

  /** Deletes a saved workflow. Throws WorkflowLibraryError: 400 bad name, 403 for a template, 404 missing. */
  delete(name: string): void {
    const bare = checkWorkflowName(name);
    const file = path.join(this.savedDir, `${bare}.json`);
    if (!fs.existsSync(file)) {
      if (fs.existsSync(path.join(this.templatesDir, `${bare}.json`))) throw new WorkflowLibraryError(`"${bare}" is a shipped template and cannot be deleted`, 403);
      throw new WorkflowLibraryError(`no saved workflow named "${bare}"`, 404);
    }
    fs.unlinkSync(file);
  }
}
