import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCifar10, loadSource, CIFAR10_CLASSES, DataError } from '../../src/data/index.js';
import { cifarBytes, tempDir } from './fixtures.js';

function writeCifarDir(perFile = 2): string {
  const dir = tempDir();
  for (let b = 1; b <= 5; b++) writeFileSync(join(dir, `data_batch_${b}.bin`), cifarBytes(perFile, b));
  writeFileSync(join(dir, 'test_batch.bin'), cifarBytes(3, 7));
  return dir;
}

test('cifar10: train joins data_batch_1..5, records decode to CHW planes in [0, 1]', () => {
  const dir = writeCifarDir(2);
  const ds = loadSource('cifar10', { split: 'train', dataDir: dir });
  assert.equal(ds.length, 10);
  assert.deepEqual(ds.shape, [3, 32, 32]);
  assert.deepEqual(ds.classNames, CIFAR10_CLASSES);
  // File b holds records labelled (i + b) mod 10 for i = 0, 1.
  assert.deepEqual(Array.from(ds.labels), [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  // Sample 3 is record 1 of data_batch_2: pixel j = (1 + j) mod 256. Green plane starts at 1024.
  const im = ds.image(3);
  assert.equal(Math.round(im[0] * 255), 1);
  assert.equal(Math.round(im[1024] * 255), (1 + 1024) % 256);
  assert.equal(Math.round(im[3071] * 255), (1 + 3071) % 256);
  const test_ = loadCifar10(dir, 'test');
  assert.equal(test_.length, 3);
  assert.deepEqual(Array.from(test_.labels), [7, 8, 9]);
});

test('cifar10: limit stops after the first records', () => {
  const ds = loadCifar10(writeCifarDir(2), 'train', 3);
  assert.equal(ds.length, 3);
  assert.deepEqual(Array.from(ds.labels), [1, 2, 2]);
});

test('cifar10: a file that is not whole 3,073-byte records is rejected', () => {
  const dir = writeCifarDir(1);
  writeFileSync(join(dir, 'data_batch_3.bin'), Buffer.concat([cifarBytes(1), Buffer.alloc(5)]));
  assert.throws(() => loadCifar10(dir, 'train'), (e: Error) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, 'cifar10: data_batch_3.bin has 3078 bytes, not a whole number of 3073-byte records; use the binary version (cifar-10-batches-bin), not the Python or MATLAB one');
    return true;
  });
});

test('cifar10: a label byte above 9 is rejected', () => {
  const dir = writeCifarDir(1);
  const b = cifarBytes(2);
  b[3073] = 10;
  writeFileSync(join(dir, 'test_batch.bin'), b);
  assert.throws(() => loadCifar10(dir, 'test'), /cifar10: test_batch\.bin: record 1 has label 10, outside 0\.\.9/);
});

test('cifar10: missing files and a missing folder say what to download and where to point', () => {
  const empty = tempDir();
  assert.throws(() => loadSource('cifar10', { split: 'test', dataDir: empty }), {
    message: `cifar10: missing test_batch.bin in ${empty}; download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, unpack it and pass --data-dir pointing at its cifar-10-batches-bin folder`,
  });
  assert.throws(() => loadSource('cifar10', { split: 'train' }), /cifar10: no data folder given; download .* --data-dir/);
});
