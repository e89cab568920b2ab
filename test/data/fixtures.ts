// Helpers that write real-format fixture files (IDX, CIFAR-10 records) into a temp folder.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'abstain-data-'));
export const listDir = (dir: string): string[] => readdirSync(dir).sort();

/** IDX bytes written by hand (independently of src/data/idx.ts): magic, big-endian dims, data. */
export function idxBytes(magic: number, dims: number[], data: Uint8Array | number[]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A valid images + labels pair of n images h×w; pixel (i, r, q) = (i * 7 + r * w + q) mod 256, label i mod 10. */
export function writeIdxPair(dir: string, prefix: string, n: number, h: number, w: number, gzip = false): { images: string; labels: string; pixels: Uint8Array; labels8: Uint8Array } {
  const pixels = Uint8Array.from({ length: n * h * w }, (_, j) => {
    const i = Math.floor(j / (h * w));
    return (i * 7 + (j % (h * w))) % 256;
  });
  const labels8 = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const ext = gzip ? '.gz' : '';
  const images = join(dir, `${prefix}-images-idx3-ubyte${ext}`);
  const labels = join(dir, `${prefix}-labels-idx1-ubyte${ext}`);
  const z = (b: Buffer) => (gzip ? gzipSync(b) : b);
  writeFileSync(images, z(idxBytes(0x803, [n, h, w], pixels)));
  writeFileSync(labels, z(idxBytes(0x801, [n], labels8)));
  return { images, labels, pixels, labels8 };
}

/** CIFAR-10 records: label byte then 3,072 pixel bytes; pixel j of record i = (i + j) mod 256, label (i + offset) mod 10. */
export function cifarBytes(n: number, offset = 0): Buffer {
  const b = Buffer.alloc(n * 3073);
  for (let i = 0; i < n; i++) {
    b[i * 3073] = (i + offset) % 10;
    for (let j = 0; j < 3072; j++) b[i * 3073 + 1 + j] = (i + j) % 256;
  }
  return b;
}
