import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset, type ImageShape } from '../../src/data/index.js';
import { tensor, tidy } from '../../src/tensor/index.js';
import { applyTrigger, makeTrigger, PoisonConfigError, type Content, type Position } from '../../src/poison/index.js';

const SHAPE: ImageShape = [2, 7, 9];
const D = 2 * 7 * 9;
/** Two images with distinct values in (0, 1): pixel j of image i = 0.2 + 0.6·((i·D + j) mod 97)/97. */
const base = Float32Array.from({ length: 2 * D }, (_, j) => 0.2 + (0.6 * (j % 97)) / 97);
const at = (i: number, c: number, r: number, q: number) => i * D + c * 63 + r * 9 + q;

/** The expected output, written from the definition: patch pixels get value(c, r, q), others stay. */
function expectPatch(x0: number, y0: number, s: number, value: (c: number, r: number, q: number) => number): Float32Array {
  const out = base.slice();
  for (let i = 0; i < 2; i++) for (let c = 0; c < 2; c++) for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) out[at(i, c, y0 + r, x0 + q)] = value(c, r, q);
  return out;
}

test('patch: pixel-exact placement for each corner, the centre and x/y', () => {
  // [position, size, x, y] on a 7×9 image; the centre rounds toward the top-left.
  const origins: [Position, number, number, number][] = [
    ['top-left', 3, 0, 0], ['top-right', 3, 6, 0], ['bottom-left', 3, 0, 4], ['bottom-right', 3, 6, 4], ['center', 3, 3, 2],
    ['center', 2, 3, 2], [{ x: 2, y: 1 }, 3, 2, 1], [{ x: 0, y: 6 }, 1, 0, 6],
  ];
  for (const [position, s, x0, y0] of origins) {
    const t = makeTrigger({ kind: 'patch', size: s, position, content: { kind: 'solid', value: 0.75 } }, SHAPE);
    assert.deepEqual(t.apply(base, SHAPE), expectPatch(x0, y0, s, () => 0.75), `position ${JSON.stringify(position)}`);
    const mask = new Float32Array(D);
    for (let c = 0; c < 2; c++) for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) mask[at(0, c, y0 + r, x0 + q)] = 1;
    assert.deepEqual(t.mask, mask);
  }
  // Default: bottom-right checkerboard.
  const def = makeTrigger({ kind: 'patch', size: 2 }, SHAPE);
  assert.deepEqual(def.apply(base, SHAPE), expectPatch(7, 5, 2, (_c, r, q) => ((r + q) % 2 === 0 ? 1 : 0)));
});

test('patch: pixel-exact content — per-channel solid, checkerboard cells, image, seeded noise', () => {
  const cases: [Content, (c: number, r: number, q: number) => number][] = [
    [{ kind: 'solid', value: [0.25, 1] }, (c) => [0.25, 1][c]],
    [{ kind: 'checkerboard', cell: 2, low: 0.125, high: 0.875 }, (_c, r, q) => ((Math.floor(r / 2) + Math.floor(q / 2)) % 2 === 0 ? 0.875 : 0.125)],
    [{ kind: 'image', pixels: Array.from({ length: 16 }, (_, j) => j / 16), shape: [1, 4, 4] }, (_c, r, q) => (r * 4 + q) / 16],
    [{ kind: 'image', pixels: Array.from({ length: 32 }, (_, j) => j / 32), shape: [2, 4, 4] }, (c, r, q) => (c * 16 + r * 4 + q) / 32],
  ];
  for (const [content, value] of cases) {
    const t = makeTrigger({ kind: 'patch', size: 4, position: 'top-left', content }, SHAPE);
    assert.deepEqual(t.apply(base, SHAPE), expectPatch(0, 0, 4, (c, r, q) => Math.fround(value(c, r, q))), content.kind);
  }
  const noise = (seed: number) => makeTrigger({ kind: 'patch', size: 4, position: 'top-left', content: { kind: 'noise', seed } }, SHAPE);
  const n1 = noise(1).apply(base, SHAPE);
  assert.deepEqual(noise(1).apply(base, SHAPE), n1);
  assert.notDeepEqual(noise(2).apply(base, SHAPE), n1);
  const inPatch = expectPatch(0, 0, 4, () => -1);
  const patchVals = new Set<number>();
  n1.forEach((v, j) => {
    if (inPatch[j] === -1) {
      assert.ok(v >= 0 && v < 1);
      patchVals.add(v);
    } else assert.equal(v, base[j]);
  });
  assert.ok(patchVals.size > 16, 'noise differs across the patch and channels');
  // Both images get the same noise: the trigger is fixed.
  assert.deepEqual(n1.subarray(0, D).filter((_, j) => inPatch[j] === -1), n1.subarray(D).filter((_, j) => inPatch[D + j] === -1));
});

test('blend: (1 − alpha)·x + alpha·pattern on every pixel', () => {
  const pixels = Float32Array.from({ length: D }, (_, j) => (j % 5) / 4);
  const t = makeTrigger({ kind: 'blend', alpha: 0.3, pattern: { kind: 'image', pixels, shape: SHAPE } }, SHAPE);
  const out = t.apply(base, SHAPE);
  out.forEach((v, j) => assert.ok(Math.abs(v - (0.7 * base[j] + 0.3 * pixels[j % D])) < 1e-6, `pixel ${j}`));
  assert.ok(t.mask.every((m) => m === 1));
  // A one-channel pattern is used for every channel.
  const grey = makeTrigger({ kind: 'blend', alpha: 0.5, pattern: { kind: 'image', pixels: pixels.subarray(0, 63), shape: [1, 7, 9] } }, SHAPE).apply(base, SHAPE);
  assert.ok(Math.abs(grey[63 + 5] - (0.5 * base[63 + 5] + 0.5 * pixels[5])) < 1e-6);
  // alpha 1 is the pattern itself.
  const solid = makeTrigger({ kind: 'blend', alpha: 1, pattern: { kind: 'solid', value: 0.5 } }, SHAPE).apply(base, SHAPE);
  assert.ok(solid.every((v) => v === 0.5));
});

test('triggers clip to [0, 1]', () => {
  const x = Float32Array.from({ length: D }, (_, j) => (j % 2 ? 1.5 : -0.5));
  const patch = makeTrigger({ kind: 'patch', size: 1, position: 'top-left', content: { kind: 'solid', value: 0.5 } }, SHAPE).apply(x, SHAPE);
  assert.equal(patch[0], 0.5);
  assert.equal(patch[1], 1);
  assert.equal(patch[2], 0);
  const blend = makeTrigger({ kind: 'blend', alpha: 0.1, pattern: { kind: 'solid', value: 1 } }, SHAPE).apply(x, SHAPE);
  assert.equal(blend[1], 1);
  assert.equal(blend[2], 0);
});

test('triggers: the tensor form equals the array form; applyTrigger keeps labels', () => {
  const t = makeTrigger({ kind: 'blend', alpha: 0.4, pattern: { kind: 'noise', seed: 9 } }, SHAPE);
  const viaTensor = tidy(() => t.applyTensor(tensor(base, [2, ...SHAPE])).toFloat32Array());
  viaTensor.forEach((v, j) => assert.ok(Math.abs(v - t.apply(base, SHAPE)[j]) < 1e-6));
  const ds = new Dataset({ name: 'd', images: base, labels: Int32Array.from([1, 0]), shape: SHAPE, classNames: ['a', 'b'] });
  const tr = applyTrigger(ds, t);
  assert.deepEqual(tr.labels, ds.labels);
  assert.deepEqual(tr.images, t.apply(base, SHAPE));
  assert.equal(ds.images[0], base[0], 'the clean set is not changed');
});

test('triggers: bad specs give one-line errors naming the field and the fix', () => {
  const mnist: ImageShape = [1, 28, 28];
  const bad: [unknown, string | RegExp][] = [
    [{ kind: 'patch', size: 40 }, 'trigger: patch size 40 exceeds the image (28x28); use size <= 28'],
    [{ kind: 'patch', size: 4, position: { x: 26, y: 0 } }, 'trigger: patch at x 26, y 0 with size 4 does not fit the image (28x28); use integers 0 <= x <= 24, 0 <= y <= 24'],
    [{ kind: 'patch', size: 4, position: 'middle' }, 'trigger: patch position "middle" is unknown; use top-left, top-right, bottom-left, bottom-right, center or {x, y}'],
    [{ kind: 'patch', size: 2.5 }, 'trigger: patch size 2.5 must be a positive integer'],
    [{ kind: 'patch', size: 3, content: { kind: 'solid', value: 2 } }, 'trigger: patch content value 2 is outside [0, 1]; pixel values are in [0, 1]'],
    [{ kind: 'patch', size: 3, content: { kind: 'image', pixels: [0], shape: [1, 2, 2] } }, 'trigger: patch content image has shape [1, 2, 2]; it must be [1, 3, 3]'],
    [{ kind: 'patch', size: 3, content: { kind: 'stripes' } }, 'trigger: patch content kind "stripes" is unknown; known kinds: solid, checkerboard, image, noise'],
    [{ kind: 'blend', alpha: 1.5, pattern: { kind: 'noise' } }, 'trigger: blend alpha 1.5 is outside (0, 1]'],
    [{ kind: 'blend', alpha: 0.2 }, /^trigger: blend pattern is missing/],
    [{ kind: 'warp' }, 'trigger: kind "warp" is unknown; known kinds: patch, blend'],
  ];
  for (const [spec, message] of bad) {
    assert.throws(() => makeTrigger(spec as never, mnist), (e: Error) => {
      assert.ok(e instanceof PoisonConfigError, String(e));
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  }
  const t = makeTrigger({ kind: 'patch', size: 3 }, mnist);
  assert.throws(() => t.apply(new Float32Array(784), [1, 14, 56]), { message: 'trigger: built for images [1, 28, 28] but applied to [1, 14, 56]; build it for that shape' });
});
