import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadSource, makeSynthetic, DataError, FASHION_MNIST_DIR, SOURCES, type Dataset } from '../../src/data/index.js';
import { tempDir, writeIdxPair } from './fixtures.js';

// Sums of all pixel bytes and all label bytes, computed once from the raw files with Python
// (sum(open(f, 'rb').read()[16:]) etc.), independently of abstain's loader.
const MNIST_SUMS = { train: { pixels: 1567298545, labels: 267236 }, test: { pixels: 264923200, labels: 44434 } };
const FASHION_SUMS = { train: 3431114169, test: 573469082 };

const byteSum = (ds: Dataset) => ds.images.reduce((a, v) => a + Math.round(v * 255), 0);

test('sources: the embedded mnist has 60,000 + 10,000 images, labels 0..9 and the known checksums', () => {
  for (const split of ['train', 'test'] as const) {
    const ds = loadSource('mnist', { split });
    assert.equal(ds.length, split === 'train' ? 60000 : 10000);
    assert.deepEqual(ds.shape, [1, 28, 28]);
    assert.equal(ds.numClasses, 10);
    const counts = ds.classCounts();
    assert.ok(counts.every((c) => c > 800), `every digit present: ${counts}`);
    assert.equal(ds.labels.reduce((a, y) => a + y, 0), MNIST_SUMS[split].labels);
    assert.equal(byteSum(ds), MNIST_SUMS[split].pixels);
  }
});

test('sources: fashion-mnist loads from Debian\'s dataset-fashion-mnist', { skip: !existsSync(FASHION_MNIST_DIR) && `${FASHION_MNIST_DIR} is not installed` }, () => {
  const ds = loadSource('fashion-mnist', { split: 'test' });
  assert.equal(ds.length, 10000);
  assert.equal(ds.classNames[9], 'Ankle boot');
  assert.equal(byteSum(ds), FASHION_SUMS.test);
  const train = loadSource('fashion-mnist', { split: 'train', limit: 100 });
  assert.equal(train.length, 100);
});

test('sources: a --data-dir with IDX files (gzip or plain) is used instead of the default', () => {
  const dir = tempDir();
  writeIdxPair(dir, 't10k', 12, 28, 28, true);
  const ds = loadSource('fashion-mnist', { split: 'test', dataDir: dir });
  assert.equal(ds.length, 12);
  assert.equal(ds.name, 'fashion-mnist');
});

test('sources: missing files name the files, the folder and how to get them', () => {
  const dir = tempDir();
  assert.throws(() => loadSource('fashion-mnist', { split: 'train', dataDir: dir }), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(
      e.message,
      `fashion-mnist: missing train-images-idx3-ubyte (or train-images-idx3-ubyte.gz) and train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz) in ${dir}; install them with \`apt-get install dataset-fashion-mnist\` or pass --data-dir pointing at a folder holding them`,
    );
    return true;
  });
  writeIdxPair(dir, 't10k', 2, 28, 28);
  assert.throws(() => loadSource('mnist', { split: 'train', dataDir: dir }), /^DataError: mnist: missing train-images-idx3-ubyte .* in .*; pass --data-dir/);
});

test('sources: an unknown source lists the known ones; bad split and limit are named', () => {
  assert.throws(() => loadSource('imagenet', { split: 'train' }), { message: `unknown data source "imagenet"; known sources: ${SOURCES().join(', ')}` });
  assert.throws(() => loadSource('mnist', { split: 'val' as 'train' }), { message: 'mnist: split "val" is unknown; use train or test' });
  assert.throws(() => loadSource('mnist', { split: 'train', limit: 0 }), { message: 'mnist: limit must be a positive integer, got 0' });
});

test('sources: limit with a seed is a stratified sample of the split', () => {
  const ds = loadSource('mnist', { split: 'test', limit: 500, seed: 3 });
  assert.equal(ds.length, 500);
  const full = loadSource('mnist', { split: 'test' });
  const expected = Array.from(full.classCounts(), (c) => (c / full.length) * 500);
  Array.from(ds.classCounts()).forEach((c, k) => assert.ok(Math.abs(c - expected[k]) < 1, `class ${k}: ${c} vs ${expected[k]}`));
  const again = loadSource('mnist', { split: 'test', limit: 500, seed: 3 });
  assert.deepEqual(again.images, ds.images);
  const first = loadSource('mnist', { split: 'test', limit: 500 });
  assert.deepEqual(first.images, full.images.subarray(0, 500 * 784));
});

test('synthetic: deterministic by seed, train and test differ, shape and classes configurable', () => {
  const a = loadSource('synthetic', { split: 'train', seed: 5, limit: 50 });
  const b = loadSource('synthetic', { split: 'train', seed: 5, limit: 50 });
  const c = loadSource('synthetic', { split: 'train', seed: 6, limit: 50 });
  const t = loadSource('synthetic', { split: 'test', seed: 5, limit: 50 });
  assert.deepEqual(a.images, b.images);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.images, c.images);
  assert.notDeepEqual(a.images, t.images);
  assert.ok(a.images.every((v) => v >= 0 && v <= 1));
  const rgb = loadSource('synthetic', { split: 'train', shape: [3, 16, 12], numClasses: 4, limit: 8 });
  assert.deepEqual(rgb.shape, [3, 16, 12]);
  assert.equal(rgb.numClasses, 4);
  assert.deepEqual(Array.from(rgb.classCounts()), [2, 2, 2, 2]);
  assert.throws(() => makeSynthetic({ n: 5, shape: [1, 4, 4] }), /height and width >= 8/);
});

test('synthetic: learnable — a nearest-centroid classifier trained on train gets > 90% on test', () => {
  const train = loadSource('synthetic', { split: 'train', seed: 1 });
  const test_ = loadSource('synthetic', { split: 'test', seed: 1 });
  const d = train.imageSize;
  const k = train.numClasses;
  const centroids = new Float64Array(k * d);
  const counts = train.classCounts();
  for (let i = 0; i < train.length; i++) {
    const y = train.labels[i];
    for (let q = 0; q < d; q++) centroids[y * d + q] += train.images[i * d + q] / counts[y];
  }
  let correct = 0;
  for (let i = 0; i < test_.length; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      let dist = 0;
      for (let q = 0; q < d; q++) dist += (test_.images[i * d + q] - centroids[c * d + q]) ** 2;
      if (dist < bestDist) [best, bestDist] = [c, dist];
    }
    if (best === test_.labels[i]) correct++;
  }
  assert.ok(correct / test_.length > 0.9, `accuracy ${correct / test_.length}`);
});
