// safetensors read/write (https://github.com/huggingface/safetensors format): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, then the
// raw little-endian tensor bytes. Names follow PyTorch's state-dict keys, so weights move between
// abstain and PyTorch both ways.
import { readFileSync } from 'node:fs';
import { native } from './native.js';
import { Tensor, type DType } from './tensor.js';
import { writeFileAtomic } from '../util/atomic.js';

const TO_ST: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };

export class SafetensorsError extends Error {}

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

/** Parses and validates the header only. Throws SafetensorsError naming the problem. */
export function readSafetensorsHeader(buf: Uint8Array, path = '<buffer>'): { header: Record<string, SafetensorsHeaderEntry>; metadata: Record<string, string>; dataStart: number } {
  const fail = (why: string) => new SafetensorsError(`${path}: not a valid safetensors file (${why})`);
  if (buf.length < 8) throw fail(`only ${buf.length} bytes; a safetensors file starts with an 8-byte header length`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(view.readBigUInt64LE(0));
  if (n > buf.length - 8) throw fail(`header length ${n} exceeds the file size ${buf.length}; the file is truncated or not safetensors`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(view.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw fail('header is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw fail('header is not a JSON object');
  const { __metadata__, ...rest } = parsed as Record<string, unknown>;
  const dataLen = buf.length - 8 - n;
  const header: Record<string, SafetensorsHeaderEntry> = {};
  for (const [name, e] of Object.entries(rest)) {
    const entry = e as SafetensorsHeaderEntry;
    if (!entry || typeof entry.dtype !== 'string' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets)) {
      throw fail(`entry '${name}' lacks dtype, shape or data_offsets`);
    }
    const dtype = FROM_ST[entry.dtype];
    if (!dtype) throw fail(`tensor '${name}' has dtype ${entry.dtype}; abstain reads ${Object.keys(FROM_ST).join(', ')} (convert it to F32 first)`);
    const [a, b] = entry.data_offsets;
    const count = entry.shape.reduce((x, y) => x * y, 1);
    if (!(Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b)) throw fail(`tensor '${name}' has bad data_offsets`);
    if (b > dataLen) throw fail(`tensor '${name}' ends at byte ${b} but the data section holds ${dataLen}; the file is truncated`);
    if (b - a !== count * BYTES[dtype]) throw fail(`tensor '${name}' has ${b - a} bytes for shape [${entry.shape}] of ${entry.dtype}`);
    header[name] = entry;
  }
  return { header, metadata: (__metadata__ as Record<string, string>) ?? {}, dataStart: 8 + n };
}

/** Reads every tensor of a safetensors file (float32 etc. as stored). */
export function loadSafetensors(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new SafetensorsError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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
