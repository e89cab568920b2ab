// The Tensor class: a thin, typed veneer over a libtorch tensor handle.
// Every op returns a new Tensor registered with the current tidy scope (see scope.ts), so hot
// loops free their intermediates deterministically; V8's GC cannot see native memory.
import { native, type Handle } from './native.js';
import { track, untrack } from './scope.js';
import type { Generator } from './random.js';
import type { Device } from './device.js';

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool';
export type Shape = readonly number[];
export type TypedArrayOf = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
export type Reduction = 'mean' | 'sum' | 'none';
/** How a 4-D tensor is laid out in memory: row-major NCHW, or NHWC ("channels last"); same shape either way. */
export type MemoryFormat = 'contiguous' | 'channels-last';

const ARRAY_OF: Record<DType, (b: ArrayBuffer) => TypedArrayOf> = {
  float32: (b) => new Float32Array(b),
  float64: (b) => new Float64Array(b),
  int32: (b) => new Int32Array(b),
  int64: (b) => new BigInt64Array(b),
  uint8: (b) => new Uint8Array(b),
  bool: (b) => new Uint8Array(b),
};

type TensorLike = Tensor | number;
const h = (x: TensorLike): Handle | number => (typeof x === 'number' ? x : x.handle);
const opt = (t: Tensor | null | undefined): Handle | null => (t ? t.handle : null);

export class Tensor {
  readonly handle: Handle;
  private cachedShape: number[] | undefined;
  private cachedDevice: Device | undefined;

  constructor(handle: Handle) {
    this.handle = handle;
    track(this);
  }

  // ---- metadata and data out ----
  get shape(): number[] {
    return (this.cachedShape ??= native.shape(this.handle) as number[]);
  }
  get rank(): number {
    return this.shape.length;
  }
  get dtype(): DType {
    return native.dtype(this.handle) as DType;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** Where the tensor lives: 'cpu' or 'cuda:N'. */
  get device(): Device {
    return (this.cachedDevice ??= native.device(this.handle) as Device);
  }
  get isDisposed(): boolean {
    return native.isDisposed(this.handle) as boolean;
  }
  /** A copy of the elements in row-major order, as the typed array that matches the dtype (read through the CPU). */
  data(): TypedArrayOf {
    return ARRAY_OF[this.dtype](native.toBuffer(this.handle));
  }
  /** The elements as float32 (casting when needed). */
  toFloat32Array(): Float32Array {
    if (this.dtype === 'float32') return new Float32Array(native.toBuffer(this.handle));
    const c = new Tensor(native.to(this.handle, 'float32'));
    try {
      return new Float32Array(native.toBuffer(c.handle));
    } finally {
      c.dispose();
    }
  }
  /** The elements as plain numbers (int64 converted with Number()). */
  toArray(): number[] {
    const d = this.data();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d as ArrayLike<number>);
  }
  item(): number {
    const v = native.item(this.handle);
    return typeof v === 'boolean' ? Number(v) : v;
  }
  dispose(): void {
    native.dispose(this.handle);
    untrack(this);
  }

  // ---- autograd ----
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  requiresGrad_(on = true): this {
    native.setRequiresGrad(this.handle, on);
    return this;
  }
  /** The gradient accumulated by backward(), or null. Each call returns a new handle. */
  get grad(): Tensor | null {
    const g = native.grad(this.handle);
    return g === null ? null : new Tensor(g);
  }
  zeroGrad(): void {
    native.zeroGrad(this.handle);
  }
  backward(gradient?: Tensor): void {
    native.backward(this.handle, opt(gradient));
  }
  detach(): Tensor {
    return new Tensor(native.detach(this.handle));
  }

  // ---- elementwise ----
  add(o: TensorLike): Tensor { return new Tensor(native.add(this.handle, h(o))); }
  sub(o: TensorLike): Tensor { return new Tensor(native.sub(this.handle, h(o))); }
  mul(o: TensorLike): Tensor { return new Tensor(native.mul(this.handle, h(o))); }
  div(o: TensorLike): Tensor { return new Tensor(native.div(this.handle, h(o))); }
  pow(o: TensorLike): Tensor { return new Tensor(native.pow(this.handle, h(o))); }
  remainder(o: TensorLike): Tensor { return new Tensor(native.remainder(this.handle, h(o))); }
  eq(o: TensorLike): Tensor { return new Tensor(native.eq(this.handle, h(o))); }
  ne(o: TensorLike): Tensor { return new Tensor(native.ne(this.handle, h(o))); }
  lt(o: TensorLike): Tensor { return new Tensor(native.lt(this.handle, h(o))); }
  le(o: TensorLike): Tensor { return new Tensor(native.le(this.handle, h(o))); }
  gt(o: TensorLike): Tensor { return new Tensor(native.gt(this.handle, h(o))); }
  ge(o: TensorLike): Tensor { return new Tensor(native.ge(this.handle, h(o))); }
  maximum(o: Tensor): Tensor { return new Tensor(native.maximum(this.handle, o.handle)); }
  minimum(o: Tensor): Tensor { return new Tensor(native.minimum(this.handle, o.handle)); }
  logicalAnd(o: Tensor): Tensor { return new Tensor(native.logicalAnd(this.handle, o.handle)); }
  logicalOr(o: Tensor): Tensor { return new Tensor(native.logicalOr(this.handle, o.handle)); }
  logicalNot(): Tensor { return new Tensor(native.logicalNot(this.handle)); }
  neg(): Tensor { return new Tensor(native.neg(this.handle)); }
  exp(): Tensor { return new Tensor(native.exp(this.handle)); }
  log(): Tensor { return new Tensor(native.log(this.handle)); }
  relu(): Tensor { return new Tensor(native.relu(this.handle)); }
  sigmoid(): Tensor { return new Tensor(native.sigmoid(this.handle)); }
  tanh(): Tensor { return new Tensor(native.tanh(this.handle)); }
  abs(): Tensor { return new Tensor(native.abs(this.handle)); }
  sqrt(): Tensor { return new Tensor(native.sqrt(this.handle)); }
  square(): Tensor { return new Tensor(native.square(this.handle)); }
  sign(): Tensor { return new Tensor(native.sign(this.handle)); }
  floor(): Tensor { return new Tensor(native.floor(this.handle)); }
  round(): Tensor { return new Tensor(native.round(this.handle)); }
  isfinite(): Tensor { return new Tensor(native.isfinite(this.handle)); }
  /** Clamp to [min, max]; either bound may be null. Numbers or tensors (broadcast). */
  clamp(min: TensorLike | null, max: TensorLike | null = null): Tensor {
    if (typeof min === 'number' || typeof max === 'number' || (min === null && max === null)) {
      if (min instanceof Tensor || max instanceof Tensor) throw new TypeError('clamp: give both bounds as numbers or both as tensors');
      return new Tensor(native.clamp(this.handle, min, max));
    }
    return new Tensor(native.clampTensor(this.handle, opt(min), opt(max)));
  }
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this.handle, o.handle)); }

  // ---- reductions (dims omitted: all) ----
  sum(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.sum(this.handle, dims ?? null, keepdim)); }
  mean(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.mean(this.handle, dims ?? null, keepdim)); }
  max(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.amax(this.handle, dims ?? null, keepdim)); }
  min(dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.amin(this.handle, dims ?? null, keepdim)); }
  argmax(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmax(this.handle, dim ?? null, keepdim)); }
  argmin(dim?: number, keepdim = false): Tensor { return new Tensor(native.argmin(this.handle, dim ?? null, keepdim)); }
  logsumexp(dims: number | number[], keepdim = false): Tensor { return new Tensor(native.logsumexp(this.handle, dims, keepdim)); }
  norm(p = 2, dims?: number | number[], keepdim = false): Tensor { return new Tensor(native.norm(this.handle, p, dims ?? null, keepdim)); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this.handle, dim)); }
  topk(k: number, dim = -1, largest = true): [Tensor, Tensor] {
    const [v, i] = native.topk(this.handle, k, dim, largest);
    return [new Tensor(v), new Tensor(i)];
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = native.sort(this.handle, dim, descending);
    return [new Tensor(v), new Tensor(i)];
  }

  // ---- shape and indexing ----
  to(dtype: DType): Tensor { return new Tensor(native.to(this.handle, dtype)); }
  /** A copy on the device (this tensor, as a new handle, when it is there already). */
  toDevice(device: Device): Tensor { return new Tensor(native.toDevice(this.handle, device)); }
  cpu(): Tensor { return this.toDevice('cpu'); }
  /**
   * Moves this tensor to the device in place: the handle stays, the data moves (requires_grad
   * and the gradient come along). For parameters, so that optimizers keep their references.
   */
  moveTo_(device: Device): this {
    native.moveTo_(this.handle, device);
    this.cachedDevice = undefined;
    return this;
  }
  clone(): Tensor { return new Tensor(native.clone(this.handle)); }
  /** Row-major (default) or channels-last layout; a new handle on the same data when already so. */
  contiguous(format: MemoryFormat = 'contiguous'): Tensor { return new Tensor(native.contiguous(this.handle, format)); }
  isContiguous(format: MemoryFormat = 'contiguous'): boolean { return native.isContiguous(this.handle, format); }
  reshape(shape: Shape): Tensor { return new Tensor(native.reshape(this.handle, shape)); }
  view(shape: Shape): Tensor { return this.reshape(shape); }
  permute(dims: Shape): Tensor { return new Tensor(native.permute(this.handle, dims)); }
  transpose(a = 0, b = 1): Tensor { return new Tensor(native.transpose(this.handle, a, b)); }
  get T(): Tensor { return this.transpose(0, 1); }
  expand(shape: Shape): Tensor { return new Tensor(native.expand(this.handle, shape)); }
  repeat(times: Shape): Tensor { return new Tensor(native.repeat(this.handle, times)); }
  squeeze(dim?: number): Tensor { return new Tensor(native.squeeze(this.handle, dim ?? null)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this.handle, dim)); }
  flatten(start = 0, end = -1): Tensor { return new Tensor(native.flatten(this.handle, start, end)); }
  flip(dims: Shape): Tensor { return new Tensor(native.flip(this.handle, dims)); }
  /** Like Python's t[start:end:step] along dim (a view). */
  slice(dim: number, start: number, end: number, step = 1): Tensor {
    return new Tensor(native.slice(this.handle, dim, start, end, step));
  }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this.handle, dim, index.handle)); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this.handle, dim, index.handle)); }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(native.scatter(this.handle, dim, index.handle, src.handle)); }
  /** A copy with src added at index along dim (repeated indices accumulate): the adjoint of gather. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return new Tensor(native.scatterAdd(this.handle, dim, index.handle, src.handle)); }
  maskedSelect(mask: Tensor): Tensor { return new Tensor(native.maskedSelect(this.handle, mask.handle)); }
  maskedFill(mask: Tensor, value: number): Tensor { return new Tensor(native.maskedFill(this.handle, mask.handle, value)); }
  nonzero(): Tensor { return new Tensor(native.nonzero(this.handle)); }
  oneHot(numClasses: number): Tensor { return new Tensor(native.oneHot(this.handle, numClasses)); }
  bincount(minlength = 0, weights?: Tensor): Tensor { return new Tensor(native.bincount(this.handle, minlength, opt(weights))); }

  // ---- nn ----
  softmax(dim: number): Tensor { return new Tensor(native.softmax(this.handle, dim)); }
  logSoftmax(dim: number): Tensor { return new Tensor(native.logSoftmax(this.handle, dim)); }

  // ---- in place (for optimizers; call under noGrad for leaves that require grad) ----
  add_(o: TensorLike, alpha = 1): this { native.add_(this.handle, h(o), alpha); return this; }
  mul_(o: TensorLike): this { native.mul_(this.handle, h(o)); return this; }
  div_(o: TensorLike): this { native.div_(this.handle, h(o)); return this; }
  addcmul_(a: Tensor, b: Tensor, value = 1): this { native.addcmul_(this.handle, a.handle, b.handle, value); return this; }
  addcdiv_(a: Tensor, b: Tensor, value = 1): this { native.addcdiv_(this.handle, a.handle, b.handle, value); return this; }
  copy_(src: Tensor): this { native.copy_(this.handle, src.handle); return this; }
  zero_(): this { native.zero_(this.handle); return this; }
  fill_(v: number): this { native.fill_(this.handle, v); return this; }
  sqrt_(): this { native.sqrt_(this.handle); return this; }
  relu_(): this { native.relu_(this.handle); return this; }
  clamp_(min: number | null, max: number | null = null): this { native.clamp_(this.handle, min, max); return this; }
  /** t[mask] = values (mask bool, or an int64 index along dim 0). */
  indexPut_(index: Tensor, values: Tensor): this { native.indexPut_(this.handle, index.handle, values.handle); return this; }
  normal_(mean = 0, std = 1, gen?: Generator): this { native.normal_(this.handle, mean, std, gen?.handle ?? null); return this; }
  uniform_(lo = 0, hi = 1, gen?: Generator): this { native.uniform_(this.handle, lo, hi, gen?.handle ?? null); return this; }

  toString(): string {
    const d = this.device;
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]${d === 'cpu' ? '' : `, ${d}`})`;
  }
}
