// Stub nodes for engine tests: trivial arithmetic over numbers, with run counters so tests can assert
// exactly which nodes ran and which came from the cache.
import { defineNode, NodeRegistry, type NodeDefinition } from '../../server/engine/index.js';

export interface StubWorld {
  registry: NodeRegistry;
  /** Times each node id ran (across prompts). */
  runs: Map<string, number>;
  /** Names of the stub files LoadThing offers; tests change it to check that choices are re-read. */
  files: string[];
  /** External content per file name; LoadThing's fingerprint hashes it. */
  contents: Map<string, string>;
}

/** Builds a fresh registry of stub nodes sharing one run counter. */
export function stubWorld(): StubWorld {
  const runs = new Map<string, number>();
  const files = ['a.png', 'b.png'];
  const contents = new Map([['a.png', 'A1'], ['b.png', 'B1']]);
  const count = (id: string) => runs.set(id, (runs.get(id) ?? 0) + 1);
  const defs: NodeDefinition[] = [
    defineNode({
      id: 'Num',
      displayName: 'Number',
      category: 'test',
      description: 'A constant number.',
      inputs: { required: { value: { type: 'FLOAT', default: 1, min: -100, max: 100, step: 0.5, tooltip: 'the number' } } },
      outputs: [{ type: 'NUM', name: 'number' }],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [i.value] }; },
    }),
    defineNode({
      id: 'Add',
      displayName: 'Add',
      category: 'test/math',
      description: 'a + b',
      inputs: { required: { a: { type: 'NUM' }, b: { type: 'NUM' } }, optional: { bias: { type: 'INT', default: 0, min: 0, max: 10 } } },
      outputs: [{ type: 'NUM', name: 'sum' }],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [(i.a as number) + (i.b as number) + ((i.bias as number | undefined) ?? 0)] }; },
    }),
    defineNode({
      id: 'Double',
      displayName: 'Double',
      category: 'test/math',
      description: '2x',
      inputs: { required: { x: { type: 'NUM' } } },
      outputs: [{ type: 'NUM', name: 'doubled' }],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [(i.x as number) * 2] }; },
    }),
    defineNode({
      id: 'Seeded',
      displayName: 'Seeded',
      category: 'test',
      description: 'Has a seed widget (front ends add a control-after-generate value after it).',
      inputs: { required: { x: { type: 'NUM' }, seed: { type: 'INT', default: 0, min: 0 }, steps: { type: 'INT', default: 4, min: 1, max: 100 } } },
      outputs: [{ type: 'NUM', name: 'x' }],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [(i.x as number) + (i.seed as number) * 0 + (i.steps as number)] }; },
    }),
    defineNode({
      id: 'Fail',
      displayName: 'Fail',
      category: 'test',
      description: 'Always throws.',
      inputs: { required: { x: { type: 'NUM' } } },
      outputs: [{ type: 'NUM', name: 'never' }],
      run: (ctx) => { count(ctx.nodeId); throw new RangeError('the stub failed on purpose'); },
    }),
    defineNode({
      id: 'Random',
      displayName: 'Random',
      category: 'test',
      description: 'Not deterministic.',
      deterministic: false,
      inputs: { required: {} },
      outputs: [{ type: 'NUM', name: 'random' }],
      run: (ctx) => { count(ctx.nodeId); return { outputs: [Math.random()] }; },
    }),
    defineNode({
      id: 'Slow',
      displayName: 'Slow',
      category: 'test',
      description: 'Runs for `ms`, in steps, reporting progress and honouring the abort signal.',
      inputs: { required: { x: { type: 'NUM' }, ms: { type: 'INT', default: 100, min: 0, max: 60000 } } },
      outputs: [{ type: 'NUM', name: 'x' }],
      run: async (ctx, i) => {
        count(ctx.nodeId);
        const steps = 10;
        for (let s = 0; s < steps; s++) {
          await new Promise((r) => setTimeout(r, (i.ms as number) / steps));
          if (ctx.signal.aborted) throw ctx.signal.reason;
          ctx.progress(s + 1, steps);
        }
        ctx.preview({ format: 'png', data: new Uint8Array([1, 2, 3]) });
        return { outputs: [i.x] };
      },
    }),
    defineNode({
      id: 'Stubborn',
      displayName: 'Stubborn',
      category: 'test',
      description: 'Ignores the abort signal for `ms`.',
      inputs: { required: { ms: { type: 'INT', default: 100 } } },
      outputs: [{ type: 'NUM', name: 'x' }],
      run: async (ctx, i) => { count(ctx.nodeId); await new Promise((r) => setTimeout(r, i.ms as number)); return { outputs: [1] }; },
    }),
    defineNode({
      id: 'Pick',
      displayName: 'Pick',
      category: 'test',
      description: 'A choice among files, fingerprinted by content.',
      inputs: { required: { file: { type: 'COMBO', choices: () => [...files], imageUpload: true } } },
      outputs: [{ type: 'NUM', name: 'length' }],
      fingerprint: (i) => contents.get(i.file as string) ?? '',
      validate: (i) => (contents.has(i.file as string) ? null : `file ${String(i.file)} is missing`),
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [(contents.get(i.file as string) ?? '').length] }; },
    }),
    defineNode({
      id: 'Bytes',
      displayName: 'Bytes',
      category: 'test',
      description: 'Allocates `size` bytes (for cache budget tests).',
      inputs: { required: { size: { type: 'INT', default: 1024, min: 0 }, tag: { type: 'STRING', default: '' } } },
      outputs: [{ type: 'BUF', name: 'buffer' }],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [new Uint8Array(i.size as number)] }; },
    }),
    defineNode({
      id: 'Wrong',
      displayName: 'Wrong',
      category: 'test',
      description: 'Returns fewer outputs than declared.',
      inputs: { required: {} },
      outputs: [{ type: 'NUM', name: 'a' }, { type: 'NUM', name: 'b' }],
      run: (ctx) => { count(ctx.nodeId); return { outputs: [1] }; },
    }),
    defineNode({
      id: 'Show',
      displayName: 'Show',
      category: 'test/output',
      description: 'An output node showing its input.',
      outputNode: true,
      inputs: { required: { x: { type: 'NUM' } }, optional: { label: { type: 'STRING', default: '', multiline: true } }, hidden: { prompt: 'PROMPT' } },
      outputs: [],
      run: (ctx, i) => { count(ctx.nodeId); return { outputs: [], ui: { text: [`${(i.label as string) ?? ''}${String(i.x)}`] } }; },
    }),
    defineNode({
      id: 'Sink',
      displayName: 'Sink',
      category: 'test/output',
      description: 'An output node with a list input and no UI.',
      outputNode: true,
      inputs: { required: { buf: { type: 'BUF' } }, optional: { note: { type: 'STRING', default: '' } } },
      outputs: [],
      run: (ctx) => { count(ctx.nodeId); return { outputs: [] }; },
    }),
  ];
  return { registry: new NodeRegistry(defs), runs, files, contents };
}

/** Node ids that ran since `before` (a copy of the counters), sorted. */
export function ranSince(world: StubWorld, before: Map<string, number>): string[] {
  return [...world.runs].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id).sort();
}
