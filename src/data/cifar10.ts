// CIFAR-10, binary version (www.cs.toronto.edu/~kriz/cifar.html, cifar-10-batches-bin): each
// record is 1 label byte followed by 3,072 pixel bytes, the 32×32 red, green and blue planes.
import { existsSync } from 'node:fs';
import { READ_LIMITS, readInputFile } from '../util/files.js';
import { basename, join } from 'node:path';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { bytesToUnit } from './idx.js';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
export const CIFAR10_RECORD = 3073;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR10_TEST_FILES = ['test_batch.bin'];
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

const PIXELS = CIFAR10_RECORD - 1;

/** Parses the records of one batch file into labels and raw pixel bytes (CHW per record). */
export function parseCifarBatch(bytes: Uint8Array, label: string): { labels: Int32Array; pixels: Uint8Array } {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD !== 0) {
    throw new DataError(
      `${label} has ${bytes.length} bytes, not a whole number of ${CIFAR10_RECORD}-byte records; use the binary version (cifar-10-batches-bin), not the Python or MATLAB one`,
    );
  }
  const n = bytes.length / CIFAR10_RECORD;
  const labels = new Int32Array(n);
  const pixels = new Uint8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const r = i * CIFAR10_RECORD;
    const y = bytes[r];
    if (y >= CIFAR10_CLASSES.length) throw new DataError(`${label}: record ${i} has label ${y}, outside 0..9; the file is corrupt`);
    labels[i] = y;
    pixels.set(bytes.subarray(r + 1, r + CIFAR10_RECORD), i * PIXELS);
  }
  return { labels, pixels };
}

/** The train (data_batch_1..5.bin) or test (test_batch.bin) split from a cifar-10-batches-bin folder. */
export function loadCifar10(dir: string, split: 'train' | 'test', limit?: number): Dataset {
  const files = split === 'train' ? CIFAR10_TRAIN_FILES : CIFAR10_TEST_FILES;
  const missing = files.filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new DataError(
      `cifar10: missing ${missing.join(', ')} in ${dir}; download ${CIFAR10_URL}, unpack it and pass --data-dir pointing at its cifar-10-batches-bin folder`,
    );
  }
  const parts: { labels: Int32Array; pixels: Uint8Array }[] = [];
  let total = 0;
  for (const f of files) {
    if (limit !== undefined && total >= limit) break;
    const label = `cifar10: ${basename(f)}`;
    const p = parseCifarBatch(readInputFile(join(dir, f), READ_LIMITS.data, (why) => new DataError(`${label}: ${why}`)), label);
    parts.push(p);
    total += p.labels.length;
  }
  const n = limit === undefined ? total : Math.min(total, limit);
  const labels = new Int32Array(n);
  const images = new Float32Array(n * PIXELS);
  let at = 0;
  for (const p of parts) {
    const m = Math.min(p.labels.length, n - at);
    labels.set(p.labels.subarray(0, m), at);
    images.set(bytesToUnit(p.pixels, m * PIXELS), at * PIXELS);
    at += m;
  }
  return new Dataset({ name: 'cifar10', images, labels, shape: [3, 32, 32], classNames: CIFAR10_CLASSES });
}
