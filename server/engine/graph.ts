// Graph facts over a prompt: links, the nodes outputs need, cycles and a topological order.
import type { Prompt } from './api.js';

/** A prompt input value that is a link: [source node id, output index]. Ids may arrive as numbers. */
export function isLinkValue(value: unknown): value is [string | number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    (typeof value[0] === 'string' || typeof value[0] === 'number') &&
    Number.isInteger(value[1])
  );
}

/** Unwraps ComfyUI's `{"__value__": [...]}` literal lists; other values pass through. */
export function unwrapLiteral(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && '__value__' in value) {
    return (value as { __value__: unknown }).__value__;
  }
  return value;
}

/** Source node ids a node links to, in input order (duplicates kept; missing sources included). */
export function linkedSources(prompt: Prompt, nodeId: string): string[] {
  const node = prompt[nodeId];
  const out: string[] = [];
  if (!node || node.inputs === null || typeof node.inputs !== 'object') return out;
  for (const value of Object.values(node.inputs)) {
    if (isLinkValue(value)) out.push(String(value[0]));
  }
  return out;
}

/** Source ids of a node, in input order; pass a memoised one (see `sourceIndex`) to walk a graph repeatedly. */
export type SourcesOf = (id: string) => readonly string[];

/** Memoised `linkedSources` for one prompt: validation walks the graph several times. */
export function sourceIndex(prompt: Prompt): SourcesOf {
  const memo = new Map<string, string[]>();
  return (id) => {
    let s = memo.get(id);
    if (s === undefined) {
      s = linkedSources(prompt, id);
      memo.set(id, s);
    }
    return s;
  };
}

/** Every node some of `roots` needs, roots included (links to absent nodes are ignored). */
export function ancestorsOf(prompt: Prompt, roots: Iterable<string>, sources: SourcesOf = (id) => linkedSources(prompt, id)): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const r of roots) if (r in prompt && !seen.has(r)) { seen.add(r); stack.push(r); }
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const src of sources(id)) {
      if (!seen.has(src) && src in prompt) { seen.add(src); stack.push(src); }
    }
  }
  return seen;
}

/**
 * Strongly connected components of size > 1 (or self-links) among `nodes`: the dependency cycles, each
 * listed in link order. Iterative Tarjan so a 10,000-node chain cannot overflow the stack.
 */
export function findCycles(prompt: Prompt, nodes: Iterable<string>, sources: SourcesOf = (id) => linkedSources(prompt, id)): string[][] {
  const members = new Set(nodes);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const sccStack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const edges = (id: string) => sources(id).filter((s) => members.has(s));
  for (const start of members) {
    if (index.has(start)) continue;
    const work: Array<{ id: string; next: string[]; i: number }> = [];
    const open = (id: string) => {
      index.set(id, counter);
      low.set(id, counter);
      counter++;
      sccStack.push(id);
      onStack.add(id);
      work.push({ id, next: edges(id), i: 0 });
    };
    open(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.i < frame.next.length) {
        const w = frame.next[frame.i++];
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = sccStack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.id);
        const selfLoop = comp.length === 1 && edges(comp[0]).includes(comp[0]);
        if (comp.length > 1 || selfLoop) cycles.push(comp.reverse());
      }
    }
  }
  return cycles;
}

/**
 * Nodes needed by `outputs` in execution order: each node after all its sources, visiting outputs in the
 * given order and inputs in declaration order (deterministic). Assumes no cycles (validation rejects them).
 */
export function executionOrder(
  prompt: Prompt,
  outputs: readonly string[],
  stopAt?: (id: string) => boolean,
  sources: SourcesOf = (id) => linkedSources(prompt, id),
): string[] {
  const order: string[] = [];
  const state = new Map<string, 1 | 2>(); // 1 = open, 2 = done
  const none: readonly string[] = [];
  for (const root of outputs) {
    if (!(root in prompt) || state.has(root)) continue;
    const work: Array<{ id: string; next: readonly string[]; i: number }> = [];
    const open = (id: string) => {
      state.set(id, 1);
      const stop = stopAt?.(id) ?? false;
      work.push({ id, next: stop ? none : sources(id), i: 0 });
    };
    open(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.i < frame.next.length) {
        const src = frame.next[frame.i++];
        if (src in prompt && !state.has(src)) open(src);
        continue;
      }
      work.pop();
      state.set(frame.id, 2);
      order.push(frame.id);
    }
  }
  return order;
}
