// Free-function forms of the tensor ops, plus the multi-input nn primitives.
import { native } from './native.js';
import { Tensor, type Reduction, type Shape } from './tensor.js';

type TensorLike = Tensor | number;
export type Pair = number | readonly [number, number];
const pair = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : [p[0], p[1]]);
const opt = (t: Tensor | null | undefined) => (t ? t.handle : null);
const lhs = (a: TensorLike, b: TensorLike): [Tensor, TensorLike] => {
  if (a instanceof Tensor) return [a, b];
  if (b instanceof Tensor) return [b, a];
  throw new TypeError('at least one operand must be a tensor');
};

export const add = (a: TensorLike, b: TensorLike): Tensor => { const [x, y] = lhs(a, b); return x.add(y); };
export const mul = (a: TensorLike, b: TensorLike): Tensor => { const [x, y] = lhs(a, b); return x.mul(y); };
export const sub = (a: Tensor, b: TensorLike): Tensor => a.sub(b);
export const div = (a: Tensor, b: TensorLike): Tensor => a.div(b);
export const pow = (a: Tensor, b: TensorLike): Tensor => a.pow(b);
export const maximum = (a: Tensor, b: Tensor): Tensor => a.maximum(b);
export const minimum = (a: Tensor, b: Tensor): Tensor => a.minimum(b);
export const matmul = (a: Tensor, b: Tensor): Tensor => a.matmul(b);
export const relu = (a: Tensor): Tensor => a.relu();
export const exp = (a: Tensor): Tensor => a.exp();
export const log = (a: Tensor): Tensor => a.log();
export const clamp = (a: Tensor, min: TensorLike | null, max: TensorLike | null = null): Tensor => a.clamp(min, max);
export const softmax = (a: Tensor, dim: number): Tensor => a.softmax(dim);
export const logSoftmax = (a: Tensor, dim: number): Tensor => a.logSoftmax(dim);
export const sum = (a: Tensor, dims?: number | number[], keepdim = false): Tensor => a.sum(dims, keepdim);
export const mean = (a: Tensor, dims?: number | number[], keepdim = false): Tensor => a.mean(dims, keepdim);
export const max = (a: Tensor, dims?: number | number[], keepdim = false): Tensor => a.max(dims, keepdim);
export const min = (a: Tensor, dims?: number | number[], keepdim = false): Tensor => a.min(dims, keepdim);
export const argmax = (a: Tensor, dim?: number, keepdim = false): Tensor => a.argmax(dim, keepdim);
export const reshape = (a: Tensor, shape: Shape): Tensor => a.reshape(shape);
export const permute = (a: Tensor, dims: Shape): Tensor => a.permute(dims);
export const transpose = (a: Tensor, d0 = 0, d1 = 1): Tensor => a.transpose(d0, d1);
export const slice = (a: Tensor, dim: number, start: number, end: number, step = 1): Tensor => a.slice(dim, start, end, step);
export const indexSelect = (a: Tensor, dim: number, index: Tensor): Tensor => a.indexSelect(dim, index);
export const gather = (a: Tensor, dim: number, index: Tensor): Tensor => a.gather(dim, index);
export const oneHot = (a: Tensor, numClasses: number): Tensor => a.oneHot(numClasses);
export const bincount = (a: Tensor, minlength = 0, weights?: Tensor): Tensor => a.bincount(minlength, weights);
export const cat = (ts: Tensor[], dim = 0): Tensor => new Tensor(native.cat(ts.map((t) => t.handle), dim));
export const stack = (ts: Tensor[], dim = 0): Tensor => new Tensor(native.stack(ts.map((t) => t.handle), dim));
export const where = (cond: Tensor, a: Tensor, b: Tensor): Tensor => new Tensor(native.where(cond.handle, a.handle, b.handle));
export const allclose = (a: Tensor, b: Tensor, rtol = 1e-5, atol = 1e-8): boolean => native.allclose(a.handle, b.handle, rtol, atol);
export const equal = (a: Tensor, b: Tensor): boolean => native.equal(a.handle, b.handle);

export const linear = (x: Tensor, w: Tensor, b?: Tensor | null): Tensor => new Tensor(native.linear(x.handle, w.handle, opt(b)));

export interface ConvOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions = {}): Tensor {
  return new Tensor(
    native.conv2d(x.handle, w.handle, opt(b), pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.dilation ?? 1), o.groups ?? 1),
  );
}
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions & { outputPadding?: Pair } = {}): Tensor {
  return new Tensor(
    native.convTranspose2d(x.handle, w.handle, opt(b), pair(o.stride ?? 1), pair(o.padding ?? 0), pair(o.outputPadding ?? 0),
      o.groups ?? 1, pair(o.dilation ?? 1)),
  );
}
export interface PoolOptions {
  stride?: Pair;
  padding?: Pair;
}
export const maxPool2d = (x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor =>
  new Tensor(native.maxPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0)));
export const avgPool2d = (x: Tensor, kernel: Pair, o: PoolOptions = {}): Tensor =>
  new Tensor(native.avgPool2d(x.handle, pair(kernel), pair(o.stride ?? kernel), pair(o.padding ?? 0)));
export const adaptiveAvgPool2d = (x: Tensor, out: Pair): Tensor => new Tensor(native.adaptiveAvgPool2d(x.handle, pair(out)));

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  training: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch norm as PyTorch's F.batch_norm: in training mode the running statistics update in place. */
export const batchNorm = (x: Tensor, o: BatchNormOptions): Tensor =>
  new Tensor(native.batchNorm(x.handle, opt(o.weight), opt(o.bias), opt(o.runningMean), opt(o.runningVar), o.training,
    o.momentum ?? 0.1, o.eps ?? 1e-5));

/** Cross-entropy from logits; target holds class indices (int64) or probabilities (float, like logits). */
export const crossEntropy = (logits: Tensor, target: Tensor, reduction: Reduction = 'mean', labelSmoothing = 0): Tensor =>
  new Tensor(native.crossEntropy(logits.handle, target.handle, reduction, labelSmoothing));
export const nllLoss = (logProbs: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor =>
  new Tensor(native.nllLoss(logProbs.handle, target.handle, reduction));
export const mseLoss = (a: Tensor, b: Tensor, reduction: Reduction = 'mean'): Tensor =>
  new Tensor(native.mseLoss(a.handle, b.handle, reduction));
