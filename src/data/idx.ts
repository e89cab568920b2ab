// The IDX format of MNIST and Fashion-MNIST (yann.lecun.com/exdb/mnist): a magic number
// 0x0000TTDD (TT the element type, DD the number of dimensions), DD big-endian uint32 sizes,
// then the elements. Files may be gzip-compressed (read by their magic bytes 1f 8b).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../util/atomic.js';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { READ_LIMITS, readInputFile } from '../util/files.js';

/** The only element type abstain reads and writes: unsigned bytes. */
const UBYTE = 0x08;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Parses IDX bytes (plain or gzip). `label` names the file in errors, e.g. "mnist: train-images-idx3-ubyte". */
export function parseIdx(bytes: Uint8Array, label: string, expectDims?: number[]): IdxArray {
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${label} is not a valid gzip file (${(e as Error).message}); download it again`);
    }
  }
  if (bytes.length < 4) throw new DataError(`${label} is truncated (expected at least a 4-byte header, got ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = bytes[2];
  const ndim = bytes[3];
  const hex = '0x' + magic.toString(16).padStart(8, '0');
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndim === 0) {
    throw new DataError(`${label} is not an IDX file (magic number ${hex}); expected e.g. 0x00000803 for images or 0x00000801 for labels`);
  }
  if (type !== UBYTE) {
    throw new DataError(`${label} holds IDX element type 0x${type.toString(16).padStart(2, '0')}; only unsigned bytes (0x08) are supported`);
  }
  if (expectDims && !expectDims.includes(ndim)) {
    const want = expectDims.map((d) => '0x' + ((UBYTE << 8) | d).toString(16).padStart(8, '0')).join(' or ');
    throw new DataError(`${label} has magic number ${hex} (${ndim} dimensions); expected ${want}`);
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new DataError(`${label} is truncated (expected a ${header}-byte header, got ${bytes.length} bytes)`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < expected) throw new DataError(`${label} is truncated (expected ${expected} bytes, got ${bytes.length})`);
  if (bytes.length > expected) {
    throw new DataError(`${label} is longer than its header says (expected ${expected} bytes, got ${bytes.length}); the file is corrupt`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Reads an IDX file (plain or gzip). */
export function readIdx(path: string, source = 'idx', expectDims?: number[]): IdxArray {
  const label = `${source}: ${basename(path)}`;
  if (!existsSync(path)) throw new DataError(`${label} not found at ${path}`);
  return parseIdx(readInputFile(path, READ_LIMITS.data, (why) => new DataError(`${label} (${path}): ${why}`)), label, expectDims);
}

/** The bytes of an unsigned-byte IDX file. */
export function encodeIdx(dims: number[], data: Uint8Array, gzip = false): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new DataError(`idx: ${data.length} values do not fill dims [${dims.join(', ')}]`);
  if (dims.length < 1 || dims.length > 255) throw new DataError(`idx: ${dims.length} dimensions; IDX allows 1..255`);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  const view = new DataView(out.buffer);
  view.setUint32(0, (UBYTE << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return gzip ? gzipSync(out) : out;
}

/** The bytes of a float32 IDX file (element type 0x0D, big-endian IEEE 754, as the format specifies). */
export function encodeIdxFloat32(dims: number[], data: Float32Array, gzip = false): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new DataError(`idx: ${data.length} values do not fill dims [${dims.join(', ')}]`);
  const head = 4 + 4 * dims.length;
  const out = new Uint8Array(head + 4 * n);
  const view = new DataView(out.buffer);
  view.setUint32(0, (0x0d << 8) | dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  for (let i = 0; i < n; i++) view.setFloat32(head + 4 * i, data[i]);
  return gzip ? gzipSync(out) : out;
}

/** Writes an unsigned-byte IDX file atomically. */
export function writeIdx(path: string, dims: number[], data: Uint8Array, gzip = false): void {
  writeFileAtomic(path, encodeIdx(dims, data, gzip));
}

export interface IdxPair {
  /** Names the data set in errors and in the Dataset. */
  name: string;
  imagesPath: string;
  labelsPath: string;
  classNames: string[];
  /** Read only the first `limit` samples. */
  limit?: number;
}

/**
 * An images file (0x00000803: N×H×W, or 0x00000804: N×C×H×W) and a labels file (0x00000801: N)
 * as a Dataset; the counts must agree and every label must name a class.
 */
export function loadIdxPair(p: IdxPair): Dataset {
  const imgs = readIdx(p.imagesPath, p.name, [3, 4]);
  const labs = readIdx(p.labelsPath, p.name, [1]);
  const [n] = imgs.dims;
  if (n === 0) throw new DataError(`${p.name}: ${basename(p.imagesPath)} holds 0 images; give files with at least one`);
  if (labs.dims[0] !== n) {
    throw new DataError(`${p.name}: ${basename(p.imagesPath)} holds ${n} images but ${basename(p.labelsPath)} holds ${labs.dims[0]} labels; use matching files`);
  }
  const shape: [number, number, number] = imgs.dims.length === 3 ? [1, imgs.dims[1], imgs.dims[2]] : [imgs.dims[1], imgs.dims[2], imgs.dims[3]];
  const m = p.limit === undefined ? n : Math.min(n, p.limit);
  const k = p.classNames.length;
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const y = labs.data[i];
    if (y >= k) throw new DataError(`${p.name}: ${basename(p.labelsPath)} has label ${y} at index ${i}, outside 0..${k - 1}`);
    labels[i] = y;
  }
  return new Dataset({ name: p.name, images: bytesToUnit(imgs.data, m * shape[0] * shape[1] * shape[2]), labels, shape, classNames: p.classNames });
}

/** Bytes 0..255 as floats in [0, 1]. */
export function bytesToUnit(bytes: Uint8Array, count = bytes.length): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = bytes[i] / 255;
  return out;
}

/** Floats in [0, 1] as bytes 0..255 (rounded, clipped). */
export function unitToBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
  }
  return out;
}
