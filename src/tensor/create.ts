// Tensor factories: from JS data, constants, ranges and random draws.
import { native } from './native.js';
import { Tensor, type DType, type Shape, type TypedArrayOf } from './tensor.js';
import type { Generator } from './random.js';
import type { Device } from './device.js';

type NestedNumbers = number | boolean | NestedNumbers[];

function inferShape(data: NestedNumbers): number[] {
  const shape: number[] = [];
  let x: NestedNumbers = data;
  while (Array.isArray(x)) {
    shape.push(x.length);
    x = x[0];
  }
  return shape;
}

function defaultDtype(data: unknown): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  return 'float32';
}

/** A typed array of the given dtype holding the given values. */
export function typedArrayFor(dtype: DType, values: ArrayLike<number> | ArrayLike<bigint>, n: number): TypedArrayOf {
  switch (dtype) {
    case 'float32': return Float32Array.from(values as ArrayLike<number>, Number);
    case 'float64': return Float64Array.from(values as ArrayLike<number>, Number);
    case 'int32': return Int32Array.from(values as ArrayLike<number>, Number);
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(Number(values[i])));
      return out;
    }
    case 'uint8':
    case 'bool': return Uint8Array.from(values as ArrayLike<number>, (v) => Number(v));
  }
}

/**
 * A tensor from nested arrays or a flat typed array. shape defaults to the nesting (or 1-D);
 * dtype defaults to float32 for plain numbers and to the typed array's own type otherwise;
 * device defaults to the CPU (the data is copied through the CPU to another device).
 */
export function tensor(data: NestedNumbers | TypedArrayOf, shape?: Shape, dtype?: DType, device?: Device): Tensor {
  const flat: ArrayLike<number> | ArrayLike<bigint> = ArrayBuffer.isView(data)
    ? (data as TypedArrayOf)
    : Array.isArray(data)
      ? ((data as unknown[]).flat(Infinity) as number[])
      : [data as number];
  const s = shape ?? (ArrayBuffer.isView(data) ? [flat.length] : inferShape(data as NestedNumbers));
  const n = s.reduce((a, b) => a * b, 1);
  if (n !== flat.length) {
    throw new RangeError(`tensor: ${flat.length} values cannot fill shape [${s.join(', ')}] (${n} elements)`);
  }
  const dt = dtype ?? defaultDtype(data);
  const sameType = ArrayBuffer.isView(data) && defaultDtype(data) === dt && !(dt === 'uint8' && dtype === 'bool');
  const buf = sameType ? (data as TypedArrayOf) : typedArrayFor(dt, flat, n);
  return new Tensor(native.fromBuffer(buf, s, dt, device ?? null));
}

// Factories take an optional device last (default: the CPU); *Like factories follow their model.
export const scalar = (v: number, dtype: DType = 'float32', device?: Device): Tensor => tensor([v], [], dtype, device);
export const zeros = (shape: Shape, dtype: DType = 'float32', device?: Device): Tensor => new Tensor(native.zeros(shape, dtype, device ?? null));
export const ones = (shape: Shape, dtype: DType = 'float32', device?: Device): Tensor => new Tensor(native.ones(shape, dtype, device ?? null));
export const full = (shape: Shape, value: number, dtype: DType = 'float32', device?: Device): Tensor =>
  new Tensor(native.full(shape, value, dtype, device ?? null));
export const zerosLike = (t: Tensor): Tensor => new Tensor(native.zerosLike(t.handle));
export const onesLike = (t: Tensor): Tensor => new Tensor(native.onesLike(t.handle));
export const eye = (n: number, dtype: DType = 'float32', device?: Device): Tensor => new Tensor(native.eye(n, dtype, device ?? null));
/** [start, end) with step; arange(n) is 0..n-1 (int64 when all arguments are integers). */
export function arange(start: number, end?: number, step = 1, dtype?: DType, device?: Device): Tensor {
  const [a, b] = end === undefined ? [0, start] : [start, end];
  const dt = dtype ?? ([a, b, step].every(Number.isInteger) ? 'int64' : 'float32');
  return new Tensor(native.arange(a, b, step, dt, device ?? null));
}
/** Labels and indices: int32 data as an int64 tensor (what libtorch's indexing and losses want). */
export function fromInt32(data: Int32Array | number[], shape?: Shape, device?: Device): Tensor {
  const t32 = tensor(data instanceof Int32Array ? data : Int32Array.from(data), shape ?? [data.length], 'int32', device);
  try {
    return t32.to('int64');
  } finally {
    t32.dispose(); // the int32 copy must not outlive the call, even outside tidy
  }
}

export interface RandomOptions {
  /** The stream to draw from; its device is where the tensor is drawn unless `device` says otherwise. */
  generator?: Generator;
  dtype?: DType;
  /** Default: the generator's device, else the CPU. */
  device?: Device;
}
export const randn = (shape: Shape, o: RandomOptions = {}): Tensor =>
  new Tensor(native.randn(shape, o.generator?.handle ?? null, o.dtype ?? 'float32', o.device ?? null));
export const rand = (shape: Shape, o: RandomOptions = {}): Tensor =>
  new Tensor(native.rand(shape, o.generator?.handle ?? null, o.dtype ?? 'float32', o.device ?? null));
/** Integers uniform in [low, high), int64 (on the generator's device, else the given one, else the CPU). */
export const randint = (low: number, high: number, shape: Shape, generator?: Generator, device?: Device): Tensor =>
  new Tensor(native.randint(low, high, shape, generator?.handle ?? null, device ?? null));
export const randperm = (n: number, generator?: Generator, device?: Device): Tensor =>
  new Tensor(native.randperm(n, generator?.handle ?? null, device ?? null));
export const multinomial = (probs: Tensor, n: number, replacement: boolean, generator?: Generator): Tensor =>
  new Tensor(native.multinomial(probs.handle, n, replacement, generator?.handle ?? null));
