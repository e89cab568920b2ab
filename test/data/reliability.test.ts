// Data problems named as what they are (issue 9): an empty set, train and test files of two
// data sets, non-regular files, an export named for its dimensions, soft targets exported with
// the hard labels, and a generated set that would not fit in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, DataError, exportIdx, loadIdxPair, makeSynthetic } from '../../src/data/index.js';
import { idxBytes, tempDir, writeIdxPair } from './fixtures.js';
import { cli } from '../cli/helpers.js';

const ten = Array.from({ length: 10 }, String);

test('an IDX pair with 0 images is refused by name (not "a rate >= Infinity")', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(0x803, [0, 28, 28], []));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x801, [0], []));
  assert.throws(
    () => loadIdxPair({ name: 'mine', imagesPath: join(dir, 'train-images-idx3-ubyte'), labelsPath: join(dir, 'train-labels-idx1-ubyte'), classNames: ten }),
    (e: Error) => e instanceof DataError && e.message === 'mine: train-images-idx3-ubyte holds 0 images; give files with at least one',
  );
  writeIdxPair(dir, 't10k', 5, 28, 28);
  const r = await cli('poison', '--dataset', 'mnist', '--data-dir', dir, '--rate', '0.1', '--no-progress', '--out', join(dir, 'p'));
  assert.equal(r.code, 1);
  assert.equal(r.err, 'abstain: mnist: train-images-idx3-ubyte holds 0 images; give files with at least one\n');
});

test('train and test files of different shapes are named as such, not as a trigger problem', async () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 40, 28, 28);
  writeIdxPair(dir, 't10k', 20, 32, 32);
  const r = await cli('poison', '--dataset', 'mnist', '--data-dir', dir, '--rate', '0.1', '--no-progress', '--out', join(dir, 'p'));
  assert.equal(r.code, 1);
  assert.equal(r.err, `abstain: mnist: the training images are [1, 28, 28] but the test images are [1, 32, 32]; the train and test files in ${dir} must come from one data set\n`);
});

test('a data file that is not a regular file is refused before it is read', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'train-images-idx3-ubyte'));
  writeIdxPair(dir, 'x', 1, 8, 8);
  assert.throws(
    () => loadIdxPair({ name: 'mine', imagesPath: join(dir, 'train-images-idx3-ubyte'), labelsPath: join(dir, 'x-labels-idx1-ubyte'), classNames: ten }),
    /^DataError: mine: train-images-idx3-ubyte \(.*\): a folder, not a regular file$/,
  );
  assert.throws(() => loadIdxPair({ name: 'z', imagesPath: '/dev/zero', labelsPath: join(dir, 'x-labels-idx1-ubyte'), classNames: ten }), /z: zero \(\/dev\/zero\): a character device, not a regular file/);
});

test('a 4-D (several channel) export is named -idx4-, and soft targets are written beside the hard labels', () => {
  const n = 4;
  const k = 3;
  const soft = Float32Array.from({ length: n * k }, (_, j) => (j % k === 0 ? 0.5 : 0.25));
  const ds = new Dataset({ name: 'c', images: new Float32Array(n * 3 * 8 * 8).fill(0.5), labels: Int32Array.from([0, 1, 2, 0]), shape: [3, 8, 8], classNames: ['a', 'b', 'c'], softLabels: soft });
  const dir = tempDir();
  const p = exportIdx(ds, dir, { prefix: 'poisoned' });
  assert.equal(p.images, join(dir, 'poisoned-images-idx4-ubyte'));
  assert.equal(readFileSync(p.images).readUInt32BE(0), 0x804);
  assert.equal(p.softLabels, join(dir, 'poisoned-soft-labels-idx2-float'));
  const raw = readFileSync(p.softLabels!);
  assert.equal(raw.readUInt32BE(0), 0x0d02, 'IDX float (0x0D), 2 dimensions');
  assert.deepEqual([raw.readUInt32BE(4), raw.readUInt32BE(8)], [n, k]);
  assert.deepEqual(Array.from({ length: n * k }, (_, j) => raw.readFloatBE(12 + 4 * j)), Array.from(soft));
  const hard = exportIdx(ds.with({ softLabels: undefined, shape: [3, 8, 8] }), dir, { prefix: 'hard' });
  assert.equal(hard.softLabels, undefined);
  assert.ok(!existsSync(join(dir, 'hard-soft-labels-idx2-float')));
});

test('poison with soft labels says the IDX labels are hard and writes the soft targets', async () => {
  const dir = tempDir();
  const r = await cli('poison', '--dataset', 'synthetic', '--train-limit', '200', '--attack', 'uncertainty', '--set', 'attack.uncertainty.labels=soft', '--rate', '0.05', '--no-progress', '--out', join(dir, 'p'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /labels: +.*poisoned-train-labels-idx1-ubyte \(hard labels; the poisoned samples' soft targets are not in it\)/);
  assert.match(r.out, /soft: +.*poisoned-train-soft-labels-idx2-float \(the targets the victim trains on: 210x10 float32 IDX/);
  const raw = readFileSync(join(dir, 'p', 'poisoned-train-soft-labels-idx2-float'));
  assert.deepEqual([raw.readUInt32BE(4), raw.readUInt32BE(8)], [210, 10]);
  assert.equal(raw.readFloatBE(12 + 4 * (205 * 10 + 3)), Math.fround(0.1), 'a poisoned row is uniform');
});

test('a generated set too large for memory is refused with its size', () => {
  assert.throws(() => makeSynthetic({ n: 10_000_000 }), /^DataError: synthetic: 10000000 images of \[1, 28, 28\] would take 29\.2 GiB; generate at most \d+/);
});
