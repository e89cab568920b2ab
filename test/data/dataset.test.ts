import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataset, DataError, batches, concat, split, take } from '../../src/data/index.js';
import { Generator, liveTensors, tidy } from '../../src/tensor/index.js';

/** n images of [1, 2, 2]; every pixel of image i is i / n, label i mod k. */
function tiny(n: number, k = 3, soft = false): Dataset {
  const images = Float32Array.from({ length: n * 4 }, (_, j) => Math.floor(j / 4) / n);
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  const softLabels = soft ? Float32Array.from({ length: n * k }, (_, j) => (j % k === 0 ? 1 : 0)) : undefined;
  return new Dataset({ name: 'tiny', images, labels, shape: [1, 2, 2], classNames: Array.from({ length: k }, (_, c) => `c${c}`), softLabels });
}
const ids = (ds: Dataset, n: number) => Array.from({ length: ds.length }, (_, i) => Math.round(ds.images[i * 4] * n));

test('dataset: length, classes, image views and subset copies', () => {
  const ds = tiny(6);
  assert.equal(ds.length, 6);
  assert.equal(ds.numClasses, 3);
  assert.deepEqual(Array.from(ds.classCounts()), [2, 2, 2]);
  assert.equal(ds.image(2)[0], Math.fround(2 / 6));
  const sub = ds.subset([5, 1]);
  assert.deepEqual(ids(sub, 6), [5, 1]);
  assert.deepEqual(Array.from(sub.labels), [2, 1]);
  sub.images[0] = 0.99;
  assert.equal(ds.image(5)[0], Math.fround(5 / 6), 'subset copies, it does not alias');
  assert.throws(() => ds.subset([6]), { message: 'dataset tiny: index 6 is outside 0..5' });
});

test('dataset: inconsistent fields are rejected with a one-line reason', () => {
  const ok = { name: 'x', images: new Float32Array(8), labels: new Int32Array(2), shape: [1, 2, 2] as [number, number, number], classNames: ['a', 'b'] };
  assert.throws(() => new Dataset({ ...ok, images: new Float32Array(7) }), { name: 'DataError', message: 'dataset x: 7 pixel values do not fit 2 images of [1, 2, 2]' });
  assert.throws(() => new Dataset({ ...ok, labels: Int32Array.from([0, 2]) }), { message: 'dataset x: label 2 at index 1 is outside 0..1' });
  assert.throws(() => new Dataset({ ...ok, softLabels: new Float32Array(3) }), { message: 'dataset x: softLabels has 3 values, expected 2×2' });
  assert.throws(() => new Dataset({ ...ok, shape: [1, 0, 2] }), DataError);
});

test('split: fractions and counts give disjoint parts, deterministic by seed', () => {
  const ds = tiny(100);
  const [a, b] = split(ds, [0.8, 0.2], 1);
  assert.equal(a.length + b.length, 100);
  assert.equal(b.length, 20);
  const all = [...ids(a, 100), ...ids(b, 100)].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(ids(split(ds, [0.8, 0.2], 1)[1], 100), ids(b, 100));
  assert.notDeepEqual(ids(split(ds, [0.8, 0.2], 2)[1], 100), ids(b, 100));
  const [c, d] = split(ds, [10, 5], 1);
  assert.equal(c.length, 10);
  assert.equal(d.length, 5);
  assert.ok(ids(c, 100).every((i, j, arr) => j === 0 || arr[j - 1] < i), 'parts keep the original order');
  // Fractions summing to 1 hand out every sample.
  assert.deepEqual(split(tiny(10), [1 / 3, 1 / 3, 1 / 3], 0).map((p) => p.length).sort(), [3, 3, 4]);
  assert.throws(() => split(ds, [0.7, 0.5]), /fractions 0.7, 0.5 sum to 1.2, more than 1/);
  assert.throws(() => split(ds, [90, 20]), /counts 90, 20 sum to 110, more than the 100 samples of tiny/);
  assert.throws(() => split(ds, [0.5, 3]), /must be all fractions in \(0, 1\) or all non-negative integer counts/);
});

test('take: first n without a seed; a stratified, seeded sample with one', () => {
  const ds = tiny(30);
  assert.deepEqual(ids(take(ds, 4), 30), [0, 1, 2, 3]);
  const s = take(ds, 9, 7);
  assert.deepEqual(Array.from(s.classCounts()), [3, 3, 3]);
  assert.deepEqual(ids(take(ds, 9, 7), 30), ids(s, 30));
  assert.notDeepEqual(ids(take(ds, 9, 8), 30), ids(s, 30));
  assert.equal(take(ds, 100), ds);
});

test('concat: samples one after another; soft targets filled with one-hot where missing', () => {
  const c = concat([tiny(2), tiny(3, 3, true)], 'both');
  assert.equal(c.length, 5);
  assert.deepEqual(Array.from(c.labels), [0, 1, 0, 1, 2]);
  assert.deepEqual(Array.from(c.softLabels!.subarray(0, 6)), [1, 0, 0, 0, 1, 0]);
  assert.throws(() => concat([tiny(2), tiny(2, 4)]), /does not match/);
});

test('batches: every sample once, sizes and tensors right, seeded shuffle, dropLast', () => {
  const ds = tiny(10, 3, true);
  const seen: number[] = [];
  const before = liveTensors();
  for (const b of batches(ds, { batchSize: 4, shuffle: true, seed: 3 })) {
    tidy(() => {
      assert.deepEqual(b.x.shape, [b.indices.length, 1, 2, 2]);
      assert.equal(b.y.dtype, 'int64');
      assert.deepEqual(b.y.toArray(), Array.from(b.indices, (i) => ds.labels[i]));
      const x = b.x.toFloat32Array();
      Array.from(b.indices).forEach((i, j) => assert.equal(x[j * 4 + 3], ds.images[i * 4 + 3]));
      assert.deepEqual(b.soft!.shape, [b.indices.length, 3]);
      seen.push(...b.indices);
    });
    b.x.dispose();
    b.y.dispose();
    b.soft?.dispose();
  }
  assert.equal(liveTensors(), before, 'disposing the batch frees every tensor');
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assert.notDeepEqual(seen, Array.from({ length: 10 }, (_, i) => i), 'shuffled');
  const order = (o: Parameters<typeof batches>[1]) => [...batches(ds, o)].flatMap((b) => { b.x.dispose(); b.y.dispose(); b.soft?.dispose(); return [...b.indices]; });
  assert.deepEqual(order({ batchSize: 4, shuffle: true, seed: 3 }), seen);
  // One generator across epochs gives a new order each epoch.
  const g = new Generator(3);
  const e1 = order({ batchSize: 4, shuffle: true, generator: g });
  const e2 = order({ batchSize: 4, shuffle: true, generator: g });
  assert.deepEqual(e1, seen);
  assert.notDeepEqual(e2, e1);
  assert.deepEqual(order({ batchSize: 4 }), Array.from({ length: 10 }, (_, i) => i));
  assert.equal(order({ batchSize: 4, dropLast: true }).length, 8);
  assert.throws(() => order({ batchSize: 4, shuffle: true }), { message: 'batches: shuffle needs a generator or a seed (so the order is reproducible)' });
  assert.throws(() => order({ batchSize: 0 }), /batchSize must be a positive integer/);
});
