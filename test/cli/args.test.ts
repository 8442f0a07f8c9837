// The CLI's argument parsing: every documented flag, and refusals that name the bad argument with exit code 2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, parseSet } from '../../server/cli/args.js';
import { CliError } from '../../server/cli/exit-codes.js';

function refusal(argv: string[], pattern: RegExp): void {
  assert.throws(() => parseArgs(argv), (error: unknown) => error instanceof CliError && error.code === 2 && pattern.test(error.message));
}

test('run takes a file and repeatable --set, plus the documented options', () => {
  const args = parseArgs(['run', 'w.json', '--set', '6.value=0.3', '--set=KontextTextEncode.instruction=a=b.c', '--image', 'x.png', '--out', 'o', '--device', 'cpu', '--json', '--quiet']);
  assert.equal(args.command, 'run');
  if (args.command !== 'run') return;
  assert.equal(args.file, 'w.json');
  assert.deepEqual(args.sets, [
    { node: '6', input: 'value', value: '0.3' },
    { node: 'KontextTextEncode', input: 'instruction', value: 'a=b.c' },
  ]);
  assert.deepEqual([args.images, args.out, args.device, args.json, args.quiet], [['x.png'], 'o', 'cpu', true, true]);
});

test('models takes --check and refuses run options', () => {
  assert.deepEqual(parseArgs(['models', '--check', '--models-dir', 'a', '--models-dir', 'b']), {
    command: 'models',
    check: true,
    device: null,
    modelsDirs: ['a', 'b'],
    json: false,
  });
  refusal(['models', '--image', 'x'], /--image is an option of run/);
});

test('bad arguments are refused with exit code 2 and a message naming them', () => {
  refusal(['frobnicate'], /unknown command "frobnicate"/);
  refusal(['run'], /run needs a workflow file/);
  refusal(['run', 'a.json', 'b.json'], /one workflow file, got 2/);
  refusal(['run', 'a.json', '--device', 'tpu'], /--device must be one of auto, cpu, cuda, webgpu/);
  refusal(['run', 'a.json', '--frob'], /unknown option "--frob"/);
  refusal(['run', 'a.json', '--out'], /--out needs a value/);
  assert.throws(() => parseSet('value=3'), /<node>.<input>=<value>/);
  assert.deepEqual(parseArgs([]), { command: 'help' });
});
