// Gathers what the strength explorer needs from a run this page queued: the prompt (for its strengths and source
// image) and the image batches output nodes reported. When the run succeeds, the largest batch of still images is
// the sweep (grids are one image, animations are marked animated). Its strengths are the prompt's, unless a node
// reported the strengths it rendered.
import type { HistoryEntry, ImageRef } from '../api.js';
import type { Prompt } from '../../../server/engine/api.js';
import type { ExplorerRun } from '../ui/explorer.js';
import { reportedStrengths, sourceImageOfPrompt, strengthsOfPrompt } from './strengths.js';

/** Collects sweep frames per prompt. */
export class SweepCollector {
  private readonly outputs = new Map<string, ImageRef[][]>();
  private readonly prompts = new Map<string, Prompt>();
  /** Strengths a node said it rendered (Kontext Denoise with even change re-spaces the prompt's). */
  private readonly rendered = new Map<string, number[]>();

  /** Remembers a prompt this page queued. */
  queued(promptId: string, prompt: Prompt): void {
    this.prompts.set(promptId, prompt);
  }

  /** Records an `executed` output. */
  executed(promptId: string, images: ImageRef[], output: Record<string, unknown>): void {
    const strengths = reportedStrengths(output);
    if (strengths) this.rendered.set(promptId, strengths);
    if (!images.length || (output.animated as boolean[] | undefined)?.some(Boolean)) return;
    const list = this.outputs.get(promptId) ?? [];
    list.push(images);
    this.outputs.set(promptId, list);
  }

  /** Forgets a finished prompt; returns the explorer run when it succeeded with a batch of several images. */
  finished(promptId: string, success: boolean): ExplorerRun | null {
    const outputs = this.outputs.get(promptId);
    const prompt = this.prompts.get(promptId);
    const rendered = this.rendered.get(promptId);
    this.outputs.delete(promptId);
    this.prompts.delete(promptId);
    this.rendered.delete(promptId);
    if (!success || !outputs || !prompt) return null;
    const sweep = outputs.filter((images) => images.length > 1).sort((a, b) => b.length - a.length)[0];
    if (!sweep) return null;
    const strengths = rendered && rendered.length === sweep.length ? rendered : strengthsOfPrompt(prompt);
    const source = sourceImageOfPrompt(prompt);
    const slash = source?.lastIndexOf('/') ?? -1;
    return {
      promptId,
      frames: sweep.map((image, i) => ({ image, strength: strengths && strengths.length === sweep.length ? strengths[i]! : null })),
      source: source ? { filename: source.slice(slash + 1), subfolder: slash >= 0 ? source.slice(0, slash) : '', type: 'input' } : undefined,
    };
  }
}

/** The sweep of a past run, read from its history entry as the collector reads a live run; null if it has none. */
export function sweepOfHistoryEntry(entry: Pick<HistoryEntry, 'promptId' | 'prompt' | 'outputs' | 'status'>): ExplorerRun | null {
  const collector = new SweepCollector();
  collector.queued(entry.promptId, entry.prompt);
  for (const output of Object.values(entry.outputs ?? {})) collector.executed(entry.promptId, output.images ?? [], output);
  return collector.finished(entry.promptId, entry.status?.status_str === 'success');
}
