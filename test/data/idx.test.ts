import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, loadIdxPair, readIdx, parseIdx, MNIST_CLASSES } from '../../src/data/index.js';
import { idxBytes, tempDir, writeIdxPair } from './fixtures.js';

const pair = (dir: string, prefix = 'train') => ({
  name: 'fixture',
  imagesPath: join(dir, `${prefix}-images-idx3-ubyte`),
  labelsPath: join(dir, `${prefix}-labels-idx1-ubyte`),
  classNames: MNIST_CLASSES,
});

test('idx: a plain images/labels pair loads with the right shape, values and labels', () => {
  const dir = tempDir();
  const f = writeIdxPair(dir, 'train', 5, 4, 3);
  const ds = loadIdxPair(pair(dir));
  assert.equal(ds.length, 5);
  assert.deepEqual(ds.shape, [1, 4, 3]);
  assert.deepEqual(Array.from(ds.labels), Array.from(f.labels8));
  for (let j = 0; j < f.pixels.length; j++) assert.equal(Math.round(ds.images[j] * 255), f.pixels[j]);
  assert.ok(ds.images.every((v) => v >= 0 && v <= 1));
});

test('idx: gzip files are read by their magic bytes and give the same data set', () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 6, 5, 5, true);
  const plainDir = tempDir();
  writeIdxPair(plainDir, 'train', 6, 5, 5, false);
  const gz = loadIdxPair({ ...pair(dir), imagesPath: join(dir, 'train-images-idx3-ubyte.gz'), labelsPath: join(dir, 'train-labels-idx1-ubyte.gz') });
  const plain = loadIdxPair(pair(plainDir));
  assert.deepEqual(gz.images, plain.images);
  assert.deepEqual(gz.labels, plain.labels);
});

test('idx: limit reads only the first samples', () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 10, 2, 2);
  const ds = loadIdxPair({ ...pair(dir), limit: 3 });
  assert.equal(ds.length, 3);
  assert.deepEqual(Array.from(ds.labels), [0, 1, 2]);
});

test('idx: a truncated file says how many bytes were expected and found', () => {
  const dir = tempDir();
  const f = writeIdxPair(dir, 'train', 5, 4, 4);
  const full = readFileSync(f.images);
  writeFileSync(f.images, full.subarray(0, 40));
  assert.throws(() => loadIdxPair(pair(dir)), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, `fixture: train-images-idx3-ubyte is truncated (expected ${16 + 5 * 16} bytes, got 40)`);
    return true;
  });
});

test('idx: a truncated gzip stream is reported as bad gzip', () => {
  const dir = tempDir();
  const path = join(dir, 'x.gz');
  const gz = gzipSync(idxBytes(0x801, [100], new Uint8Array(100)));
  writeFileSync(path, gz.subarray(0, gz.length - 10));
  assert.throws(() => readIdx(path, 'src'), /^DataError: src: x\.gz is not a valid gzip file/);
});

test('idx: a wrong magic number names the file and the expected magic', () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 3, 2, 2);
  // A labels file where an images file should be.
  writeFileSync(join(dir, 'train-images-idx3-ubyte'), idxBytes(0x801, [3], [1, 2, 3]));
  assert.throws(() => loadIdxPair(pair(dir)), {
    name: 'DataError',
    message: 'fixture: train-images-idx3-ubyte has magic number 0x00000801 (1 dimensions); expected 0x00000803 or 0x00000804',
  });
  writeFileSync(join(dir, 'junk'), Buffer.from('PK\x03\x04 not idx at all'));
  assert.throws(() => readIdx(join(dir, 'junk'), 'src'), /src: junk is not an IDX file \(magic number 0x504b0304\)/);
  writeFileSync(join(dir, 'floats'), idxBytes(0x0d01, [1], [0, 0, 0, 0]));
  assert.throws(() => readIdx(join(dir, 'floats'), 'src'), /element type 0x0d; only unsigned bytes/);
});

test('idx: trailing bytes beyond the header size are rejected', () => {
  assert.throws(() => parseIdx(idxBytes(0x801, [2], [1, 2, 3]), 'lab'), /lab is longer than its header says \(expected 10 bytes, got 11\)/);
});

test('idx: images and labels must agree in count', () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 4, 2, 2);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x801, [3], [0, 1, 2]));
  assert.throws(() => loadIdxPair(pair(dir)), {
    message: 'fixture: train-images-idx3-ubyte holds 4 images but train-labels-idx1-ubyte holds 3 labels; use matching files',
  });
});

test('idx: labels must name a class', () => {
  const dir = tempDir();
  writeIdxPair(dir, 'train', 3, 2, 2);
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxBytes(0x801, [3], [0, 12, 2]));
  assert.throws(() => loadIdxPair(pair(dir)), /label 12 at index 1, outside 0\.\.9/);
});

test('idx: a missing file is named with its path', () => {
  const dir = tempDir();
  assert.throws(() => readIdx(join(dir, 'nope'), 'src'), { message: `src: nope not found at ${join(dir, 'nope')}` });
});
