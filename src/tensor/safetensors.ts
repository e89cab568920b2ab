// safetensors read/write (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the
// raw little-endian tensor bytes. Names follow PyTorch's state-dict keys, so weights move between
// abstain and PyTorch both ways.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { native } from './native.js';
import { Tensor, type DType } from './tensor.js';
import { writeFileAtomic } from '../util/atomic.js';
import { READ_LIMITS, readInputFile, unreadableReason } from '../util/files.js';

const TO_ST: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The format's own limit on the JSON header (the reference reader refuses larger ones). */
const MAX_HEADER = 100_000_000;

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}
export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

/** Writes tensors (and string metadata) atomically: the file appears whole or not at all. */
export function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const dtype = t.dtype;
    const bytes = new Uint8Array(native.toBuffer(t.handle));
    header[name] = { dtype: TO_ST[dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keep the data 8-byte aligned, as the reference writer does
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  head.write(json, 8);
  writeFileAtomic(path, [head, ...chunks]);
}

/**
 * Parses and validates the header only. Throws SafetensorsError naming the problem. `buf` is the
 * whole file, or only its first bytes when `fileSize` (the whole file's size) is given.
 */
export function readSafetensorsHeader(
  buf: Uint8Array,
  path = '<buffer>',
  fileSize = buf.length,
): { header: Record<string, SafetensorsHeaderEntry>; metadata: Record<string, string>; dataStart: number } {
  const fail = (why: string) => new SafetensorsError(`${path}: not a valid safetensors file (${why})`);
  if (fileSize < 8) throw fail(`only ${fileSize} bytes; a safetensors file starts with an 8-byte header length`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.readBigUInt64LE(0));
  if (n > fileSize - 8) throw fail(`its first 8 bytes give a header length of ${n}, more than the ${fileSize}-byte file holds; the file is truncated or not safetensors`);
  if (n > MAX_HEADER) throw fail(`header length ${n} is more than the ${MAX_HEADER} bytes the format allows`);
  if (buf.length < 8 + n) throw fail(`only ${buf.length} of its ${8 + n} header bytes were given`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(view.subarray(8, 8 + n).toString('utf8'));
  } catch (e) {
    throw fail(`the header is not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail('the header is not a JSON object');
  const { __metadata__, ...rest } = parsed as Record<string, unknown>;
  if (__metadata__ !== undefined && (typeof __metadata__ !== 'object' || __metadata__ === null || Array.isArray(__metadata__) || !Object.values(__metadata__).every((v) => typeof v === 'string'))) {
    throw fail('__metadata__ is not an object of strings');
  }
  const dataLen = fileSize - 8 - n;
  const header: Record<string, SafetensorsHeaderEntry> = {};
  for (const [name, e] of Object.entries(rest)) {
    const entry = e as SafetensorsHeaderEntry;
    if (!entry || typeof entry.dtype !== 'string' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw fail(`entry '${name}' lacks dtype, shape or data_offsets`);
    }
    const dtype = FROM_ST[entry.dtype];
    if (!dtype) throw fail(`tensor '${name}' has dtype ${entry.dtype}; abstain reads ${Object.keys(FROM_ST).join(', ')} (convert it to F32 first)`);
    if (!entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`tensor '${name}' has shape ${JSON.stringify(entry.shape)}; dimensions must be non-negative integers`);
    const [a, b] = entry.data_offsets;
    const count = entry.shape.reduce((x, y) => x * y, 1);
    if (!(entry.data_offsets.length === 2 && Number.isSafeInteger(a) && Number.isSafeInteger(b) && 0 <= a && a <= b)) {
      throw fail(`tensor '${name}' has data_offsets ${JSON.stringify(entry.data_offsets)}; expected [begin, end] with 0 <= begin <= end`);
    }
    if (b > dataLen) throw fail(`tensor '${name}' ends at byte ${b} of the data, but the file holds ${dataLen} data bytes; the file is truncated or its offsets are wrong`);
    if (b - a !== count * BYTES[dtype]) throw fail(`tensor '${name}' has ${b - a} bytes for shape [${entry.shape}] of ${entry.dtype} (expected ${count * BYTES[dtype]})`);
    header[name] = entry;
  }
  return { header, metadata: (__metadata__ as Record<string, string>) ?? {}, dataStart: 8 + n };
}

const readFailure = (path: string) => (why: string) => new SafetensorsError(`${path}: cannot read the weights: ${why}`);

/** The header and metadata of a safetensors file, reading only the header's bytes (checked against the file's size). */
export function readSafetensorsFileHeader(path: string): ReturnType<typeof readSafetensorsHeader> {
  const why = unreadableReason(path, READ_LIMITS.weights);
  if (why) throw readFailure(path)(why);
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const got = readSync(fd, head, 0, 8, 0);
    const size = readSize(fd) ?? got;
    if (got < 8) return readSafetensorsHeader(head.subarray(0, got), path, got);
    const n = Number(head.readBigUInt64LE(0));
    const want = Math.min(8 + n, size, 8 + MAX_HEADER);
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, 0);
    return readSafetensorsHeader(buf, path, size);
  } finally {
    closeSync(fd);
  }
}

function readSize(fd: number): number | undefined {
  try {
    return fstatSync(fd).size;
  } catch {
    return undefined;
  }
}

/** Reads every tensor of a safetensors file (float32 etc. as stored). */
export function loadSafetensors(path: string): SafetensorsFile {
  const buf = readInputFile(path, READ_LIMITS.weights, readFailure(path));
  const { header, metadata, dataStart } = readSafetensorsHeader(buf, path);
  const tensors: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(header)) {
    const dtype = FROM_ST[e.dtype];
    // Copy into an aligned buffer: typed arrays need element alignment.
    const bytes = new Uint8Array(buf.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]));
    tensors[name] = new Tensor(native.fromBuffer(bytes, e.shape, dtype));
  }
  return { tensors, metadata };
}
