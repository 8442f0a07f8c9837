// The sampling loop with a stand-in velocity: noise sharing across the batch, reference tokens appended after
// the target each step and sliced off, ids, sigmas, convergence to the predicted clean latent, abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDenoiseLoop, type LoopRequest } from '../../server/runtime/denoise-loop.js';
import { FLUX_SCHEDULER, sigmaSchedule } from '../../nodes/kontext/math/schedule.js';
import { gaussianNoise } from '../../nodes/kontext/math/noise.js';
import { packLatent } from '../../nodes/kontext/math/packing.js';
import type { FloatTensor } from '../../nodes/kontext/math/tensor.js';

const C = 2;
function request(overrides: Partial<LoopRequest> = {}): LoopRequest {
  const reference = { data: Float32Array.from({ length: C * 4 * 2 }, (_, i) => 100 + i), dims: [1, C, 4, 2] };
  return { batch: 3, latentChannels: C, latentHeight: 4, latentWidth: 6, reference, seed: 42, steps: 5, scheduler: FLUX_SCHEDULER, ...overrides };
}

test('every item starts from the same seeded noise and the reference tokens follow the target tokens', async () => {
  const calls: Array<{ hidden: Float32Array; dims: readonly number[]; ids: Float32Array; sigma: number }> = [];
  const req = request();
  await runDenoiseLoop(req, async (hidden, ids, sigma) => {
    calls.push({ hidden: hidden.data.slice(), dims: hidden.dims, ids: ids.slice(), sigma });
    return { data: new Float32Array(hidden.data.length), dims: hidden.dims };
  });
  assert.equal(calls.length, 5);
  const targetTokens = 2 * 3;
  const refTokens = 2 * 1;
  assert.deepEqual(calls[0]!.dims, [3, targetTokens + refTokens, C * 4]);
  const noise = packLatent({ data: gaussianNoise(42, C * 4 * 6), dims: [1, C, 4, 6] }).data;
  const refPacked = packLatent(req.reference).data;
  const item = (targetTokens + refTokens) * C * 4;
  for (let k = 0; k < 3; k++) {
    const slice = calls[0]!.hidden.subarray(k * item, (k + 1) * item);
    assert.deepEqual(slice.subarray(0, noise.length), noise, `item ${k} starts from the shared noise`);
    for (const call of calls) assert.deepEqual(call.hidden.subarray(k * item + noise.length, (k + 1) * item), refPacked, 'reference tokens are clean every step');
  }
  // ids: target grid 2x3 at index 0, then reference grid 2x1 at index 1
  assert.deepEqual(Array.from(calls[0]!.ids), [0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 1, 0, 1, 2, 1, 0, 0, 1, 1, 0]);
  const sigmas = sigmaSchedule(5, targetTokens, FLUX_SCHEDULER);
  assert.deepEqual(calls.map((c) => c.sigma), Array.from(sigmas.slice(0, 5)));
});

test('x0 is predicted only for the steps wantsX0 accepts; the others report progress without it', async () => {
  const asked: number[] = [];
  const seen: Array<[number, boolean]> = [];
  const zeroVelocity = async (hidden: FloatTensor) => ({ data: new Float32Array(hidden.data.length), dims: hidden.dims });
  const out = await runDenoiseLoop(request({ steps: 5 }), zeroVelocity, {
    wantsX0: (step) => (asked.push(step), step % 2 === 1),
    onStep: (step, _n, x0) => void seen.push([step, x0 !== null]),
  });
  assert.deepEqual(asked, [1, 2, 3, 4, 5]);
  assert.deepEqual(seen, [[1, true], [2, false], [3, true], [4, false], [5, true]]);
  assert.deepEqual(out.dims, [3, C, 4, 6]);
});

test('with the exact velocity noise - x0 the loop lands on x0, and previews converge to it', async () => {
  const req = request({ batch: 2 });
  const targetValues = 6 * C * 4;
  const clean = Float32Array.from({ length: targetValues }, (_, i) => Math.cos(i));
  let noise: Float32Array | null = null;
  const previews: FloatTensor[] = [];
  const out = await runDenoiseLoop(
    req,
    async (hidden) => {
      const item = hidden.data.length / 2;
      noise ??= hidden.data.slice(0, targetValues);
      const v = new Float32Array(hidden.data.length);
      for (let k = 0; k < 2; k++) for (let i = 0; i < targetValues; i++) v[k * item + i] = noise[i]! - clean[i]!;
      return { data: v, dims: hidden.dims };
    },
    { onStep: (_step, _n, x0) => void previews.push(x0!) },
  );
  assert.deepEqual(out.dims, [2, C, 4, 6]);
  const packedOut = packLatent(out).data;
  for (let i = 0; i < targetValues; i++) assert.ok(Math.abs(packedOut[i]! - clean[i]!) < 1e-5 && Math.abs(packedOut[targetValues + i]! - clean[i]!) < 1e-5);
  assert.equal(previews.length, 5);
  const firstPreview = packLatent(previews[0]!).data;
  for (let i = 0; i < targetValues; i++) assert.ok(Math.abs(firstPreview[i]! - clean[i]!) < 1e-5, 'x0 = x - sigma v is exact here');
});

test('a reference per item is used per item; a wrong batch or channel count is refused', async () => {
  const refs = { data: Float32Array.from({ length: 2 * C * 4 * 2 }, (_, i) => i), dims: [2, C, 4, 2] };
  let seen: Float32Array | null = null;
  await runDenoiseLoop(request({ batch: 2, reference: refs, steps: 1 }), async (hidden) => {
    seen = hidden.data.slice();
    return { data: new Float32Array(hidden.data.length), dims: hidden.dims };
  });
  const item = (6 + 2) * C * 4;
  const packed = packLatent(refs).data;
  assert.deepEqual(seen!.subarray(item - 2 * C * 4, item), packed.subarray(0, 2 * C * 4));
  assert.deepEqual(seen!.subarray(2 * item - 2 * C * 4), packed.subarray(2 * C * 4));
  const zero = async (h: FloatTensor) => ({ data: new Float32Array(h.data.length), dims: h.dims });
  await assert.rejects(runDenoiseLoop(request({ batch: 3, reference: refs }), zero), /reference latent has batch 2; it must be 1 or the 3 items/);
  await assert.rejects(runDenoiseLoop(request({ latentHeight: 5 }), zero), /grid 5x6 must be even/);
  await assert.rejects(runDenoiseLoop(request({ reference: { data: new Float32Array(3 * 8), dims: [1, 3, 4, 2] } }), zero), /must be \[B,2,h,w\]/);
});

test('an abort stops the loop before the next step', async () => {
  const controller = new AbortController();
  let calls = 0;
  await assert.rejects(
    runDenoiseLoop(request({ steps: 10 }), async (hidden) => {
      calls++;
      if (calls === 3) controller.abort(new Error('interrupted by user'));
      return { data: new Float32Array(hidden.data.length), dims: hidden.dims };
    }, { signal: controller.signal }),
    /interrupted by user/,
  );
  assert.equal(calls, 3);
});

test('an edit mask keeps the reference outside it (exactly at the end), edits inside, and noises the outside per step', async () => {
  const reference = { data: Float32Array.from({ length: C * 4 * 6 }, (_, i) => Math.sin(i)), dims: [1, C, 4, 6] };
  // The left half of the 4x6 latent grid is edited, the right third kept, one column between.
  const editMask = Float32Array.from({ length: 4 * 6 }, (_, i) => [1, 1, 1, 0.5, 0, 0][i % 6]!);
  const edited = 7;   // the velocity drives every value towards 7
  const hiddens: Float32Array[] = [];
  const out = await runDenoiseLoop(request({ batch: 2, reference, editMask }), async (hidden) => {
    hiddens.push(hidden.data.slice());
    const v = new Float32Array(hidden.data.length);
    const item = hidden.data.length / 2;
    const target = 6 * C * 4;
    const noise = packLatent({ data: gaussianNoise(42, C * 4 * 6), dims: [1, C, 4, 6] }).data;
    for (let k = 0; k < 2; k++) for (let i = 0; i < target; i++) v[k * item + i] = noise[i]! - edited;
    return { data: v, dims: hidden.dims };
  });
  for (let k = 0; k < 2; k++) {
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 6; x++) {
          const at = ((k * C + c) * 4 + y) * 6 + x;
          const ref = reference.data[(c * 4 + y) * 6 + x]!;
          const m = editMask[y * 6 + x]!;
          const v = out.data[at]!;
          if (m === 1) assert.ok(Math.abs(v - edited) < 1e-4, `edited at (${c},${y},${x}): ${v}`);
          else if (m === 0) assert.equal(v, ref, `kept at (${c},${y},${x})`);
          else assert.ok((v - ref) * (edited - v) > 0, `blended at (${c},${y},${x}): ${v} between ${ref} and ${edited}`);
        }
      }
    }
  }
  // Before the second step, the kept half holds the reference at the first step's lower noise level.
  const sigmas = sigmaSchedule(5, 6, FLUX_SCHEDULER);
  const noise = packLatent({ data: gaussianNoise(42, C * 4 * 6), dims: [1, C, 4, 6] }).data;
  const refPacked = packLatent(reference).data;
  const keptValue = (j: number) => (1 - sigmas[1]!) * refPacked[j]! + sigmas[1]! * noise[j]!;
  const token = 2;   // grid column 2 of 3: latent columns 4 and 5, mask 0
  for (let j = token * C * 4; j < (token + 1) * C * 4; j++) assert.ok(Math.abs(hiddens[1]![j]! - keptValue(j)) < 1e-5);
  await assert.rejects(runDenoiseLoop(request({ editMask: new Float32Array(3) }), async (h) => ({ data: new Float32Array(h.data.length), dims: h.dims })),
    /an edit mask needs 4x6 weights and a reference of the target's size; got 3 weights and a 4x2 reference/);
});

test('cfg runs every item twice a step and follows v_negative + cfg (v_instruction - v_negative)', async () => {
  // Rows 0..K-1 stand for the instruction, K..2K-1 for the negative one (as the caller's feeds are ordered).
  // Their velocities differ by a per-row constant, so the guided step is known exactly.
  const batch = 2;
  const rowVelocity = (row: number) => (row < batch ? 1 + row : -0.5);
  const seenRows: number[] = [];
  const run = (cfg: number | undefined) =>
    runDenoiseLoop(request({ batch, steps: 3, ...(cfg !== undefined && { cfg }) }), async (hidden) => {
      const rows = hidden.dims[0]!;
      seenRows.push(rows);
      const item = hidden.data.length / rows;
      if (cfg !== undefined) {
        // Both twins see the same latent and reference at every step.
        for (let k = 0; k < batch; k++) assert.deepEqual(hidden.data.subarray(k * item, (k + 1) * item), hidden.data.subarray((k + batch) * item, (k + batch + 1) * item));
      }
      return { data: Float32Array.from(hidden.data, (_, j) => rowVelocity(Math.floor(j / item))), dims: hidden.dims };
    });
  const guided = await run(2.5);
  assert.deepEqual(seenRows, [4, 4, 4]);
  const plain = await run(undefined);
  const sigmas = sigmaSchedule(3, 6, FLUX_SCHEDULER);
  const travelled = sigmas[0]! - sigmas[3]!;
  const per = guided.data.length / batch;
  for (let k = 0; k < batch; k++) {
    const v = -0.5 + 2.5 * (1 + k - -0.5);
    for (let j = 0; j < per; j++) {
      // Euler from the same noise: the guided latent sits travelled * (v_plain - v_guided) away from the plain one.
      const expected = plain.data[k * per + j]! + travelled * ((1 + k) - v);
      assert.ok(Math.abs(guided.data[k * per + j]! - expected) < 1e-4, `item ${k} value ${j}: ${guided.data[k * per + j]} vs ${expected}`);
    }
  }
});
