// Tensor ops against hand-computed values, and libtorch errors surfacing as JS Errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/tensor/index.js';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => {
  assert.equal(a.length, b.length, `length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `at ${i}: ${a[i]} vs ${b[i]}`);
};

test('creation: shapes, dtypes, data round trip', () => {
  const t = T.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.toArray(), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(T.zeros([2, 2]).toArray(), [0, 0, 0, 0]);
  assert.deepEqual(T.full([3], 7, 'int32').toArray(), [7, 7, 7]);
  assert.deepEqual(T.arange(4).toArray(), [0, 1, 2, 3]);
  assert.equal(T.arange(4).dtype, 'int64');
  assert.deepEqual(T.fromInt32([3, 1]).toArray(), [3, 1]);
  assert.equal(T.fromInt32([3, 1]).dtype, 'int64');
  assert.deepEqual(T.tensor(new Float64Array([0.1, 0.2])).data(), new Float64Array([0.1, 0.2]));
  assert.deepEqual(T.eye(2).toArray(), [1, 0, 0, 1]);
  assert.throws(() => T.tensor([1, 2, 3], [2, 2]), /3 values cannot fill shape \[2, 2\]/);
});

test('broadcast arithmetic and scalars', () => {
  const a = T.tensor([[1, 2], [3, 4]]);
  const b = T.tensor([10, 20]);
  assert.deepEqual(a.add(b).toArray(), [11, 22, 13, 24]);
  assert.deepEqual(a.sub(1).toArray(), [0, 1, 2, 3]);
  assert.deepEqual(a.mul(b).toArray(), [10, 40, 30, 80]);
  assert.deepEqual(a.div(2).toArray(), [0.5, 1, 1.5, 2]);
  assert.deepEqual(a.pow(2).toArray(), [1, 4, 9, 16]);
  assert.deepEqual(T.mul(3, a).toArray(), [3, 6, 9, 12]);
  assert.deepEqual(a.maximum(T.tensor([2.5, 2.5])).toArray(), [2.5, 2.5, 3, 4]);
  assert.deepEqual(a.clamp(1.5, 3.5).toArray(), [1.5, 2, 3, 3.5]);
  assert.deepEqual(a.clamp(T.tensor([2, 0]), T.tensor([3, 3])).toArray(), [2, 2, 3, 3]);
  assert.deepEqual(a.neg().relu().toArray(), [0, 0, 0, 0]);
  close(a.exp().toArray(), [Math.E, Math.E ** 2, Math.E ** 3, Math.E ** 4], 1e-4);
  close(a.log().toArray(), [0, Math.log(2), Math.log(3), Math.log(4)]);
  assert.deepEqual(a.gt(2).toArray(), [0, 0, 1, 1]);
  assert.equal(a.gt(2).dtype, 'bool');
});

test('matmul, reductions with dims, argmax', () => {
  const a = T.tensor([[1, 2], [3, 4]]);
  const b = T.tensor([[5, 6], [7, 8]]);
  assert.deepEqual(a.matmul(b).toArray(), [19, 22, 43, 50]);
  assert.equal(a.sum().item(), 10);
  assert.deepEqual(a.sum(0).toArray(), [4, 6]);
  assert.deepEqual(a.sum(1, true).shape, [2, 1]);
  assert.deepEqual(a.mean(1).toArray(), [1.5, 3.5]);
  assert.deepEqual(a.max(0).toArray(), [3, 4]);
  assert.deepEqual(a.min(1).toArray(), [1, 3]);
  assert.deepEqual(T.tensor([[0, 5, 2], [9, 1, 3]]).argmax(1).toArray(), [1, 0]);
  close(T.tensor([3, 4]).norm(2).toArray(), [5]);
  const [v, i] = T.tensor([4, 9, 1, 7]).topk(2);
  assert.deepEqual(v.toArray(), [9, 7]);
  assert.deepEqual(i.toArray(), [1, 3]);
});

test('softmax, logSoftmax and cross-entropy match the formulas', () => {
  const logits = [1, 2, 3];
  const z = logits.reduce((s, v) => s + Math.exp(v), 0);
  const p = logits.map((v) => Math.exp(v) / z);
  const x = T.tensor([logits]);
  close(x.softmax(1).toArray(), p);
  close(x.logSoftmax(1).toArray(), p.map(Math.log));
  close([T.crossEntropy(x, T.fromInt32([2])).item()], [-Math.log(p[2])]);
  // soft targets: -sum q log p
  const q = [0.2, 0.3, 0.5];
  close([T.crossEntropy(x, T.tensor([q])).item()], [-q.reduce((s, qi, k) => s + qi * Math.log(p[k]), 0)]);
});

test('shape ops and indexing', () => {
  const a = T.arange(0, 6, 1, 'float32').reshape([2, 3]);
  assert.deepEqual(a.transpose(0, 1).toArray(), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(a.permute([1, 0]).shape, [3, 2]);
  assert.deepEqual(a.slice(1, 1, 3).toArray(), [1, 2, 4, 5]);
  assert.deepEqual(T.cat([a, a], 0).shape, [4, 3]);
  assert.deepEqual(T.stack([a, a], 0).shape, [2, 2, 3]);
  assert.deepEqual(a.indexSelect(1, T.fromInt32([2, 0])).toArray(), [2, 0, 5, 3]);
  assert.deepEqual(a.gather(1, T.fromInt32([1, 0], [2, 1])).toArray(), [1, 3]);
  // repeated indices accumulate (the adjoint of gather); the input is not modified
  assert.deepEqual(a.scatterAdd(1, T.fromInt32([0, 0, 2, 1, 1, 1], [2, 3]), T.ones([2, 3])).toArray(), [2, 1, 3, 3, 7, 5]);
  assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(T.where(a.gt(2), a, T.zeros([1])).toArray(), [0, 0, 0, 3, 4, 5]);
  assert.deepEqual(T.fromInt32([0, 2]).oneHot(3).toArray(), [1, 0, 0, 0, 0, 1]);
  assert.deepEqual(T.fromInt32([1, 1, 3]).bincount(5).toArray(), [0, 2, 0, 1, 0]);
  assert.deepEqual(a.flatten().shape, [6]);
  assert.deepEqual(a.unsqueeze(0).shape, [1, 2, 3]);
});

test('conv2d equals a direct loop (stride 2, padding 1)', () => {
  const gen = new T.Generator(3);
  const [N, C, H, W, O, K, S, P] = [2, 2, 5, 6, 3, 3, 2, 1];
  const x = T.randn([N, C, H, W], { generator: gen });
  const w = T.randn([O, C, K, K], { generator: gen });
  const b = T.randn([O], { generator: gen });
  const y = T.conv2d(x, w, b, { stride: S, padding: P });
  const Ho = Math.floor((H + 2 * P - K) / S) + 1;
  const Wo = Math.floor((W + 2 * P - K) / S) + 1;
  assert.deepEqual(y.shape, [N, O, Ho, Wo]);
  const xs = x.toFloat32Array(), ws = w.toFloat32Array(), bs = b.toFloat32Array();
  const expect: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let s = bs[o];
          for (let c = 0; c < C; c++)
            for (let ki = 0; ki < K; ki++)
              for (let kj = 0; kj < K; kj++) {
                const hi = i * S - P + ki, wj = j * S - P + kj;
                if (hi < 0 || hi >= H || wj < 0 || wj >= W) continue;
                s += xs[((n * C + c) * H + hi) * W + wj] * ws[((o * C + c) * K + ki) * K + kj];
              }
          expect.push(s);
        }
  close(y.toArray(), expect, 1e-4);
});

test('pooling against hand values', () => {
  const x = T.arange(0, 16, 1, 'float32').reshape([1, 1, 4, 4]);
  assert.deepEqual(T.maxPool2d(x, 2).toArray(), [5, 7, 13, 15]);
  assert.deepEqual(T.avgPool2d(x, 2).toArray(), [2.5, 4.5, 10.5, 12.5]);
  assert.deepEqual(T.adaptiveAvgPool2d(x, 1).toArray(), [7.5]);
});

test('autograd: backward of a small expression matches the derivative', () => {
  const x = T.tensor([1, 2, 3]).requiresGrad_();
  const y = x.mul(x).sum(); // d/dx = 2x
  y.backward();
  assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
  // gradients accumulate until cleared, as in PyTorch
  x.mul(3).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [5, 7, 9]);
  x.zeroGrad();
  assert.equal(x.grad, null);
  const z = T.noGrad(() => x.mul(2));
  assert.equal(z.requiresGrad, false);
  assert.equal(T.isGradEnabled(), true);
});

test('in-place updates change the tensor without a new handle', () => {
  const p = T.tensor([1, 2]);
  p.add_(T.tensor([1, 1]), 0.5).mul_(2);
  assert.deepEqual(p.toArray(), [3, 5]);
  p.addcmul_(T.tensor([1, 2]), T.tensor([3, 4]), 0.5);
  assert.deepEqual(p.toArray(), [4.5, 9]);
  p.copy_(T.tensor([7, 8]));
  assert.deepEqual(p.toArray(), [7, 8]);
  p.zero_();
  assert.deepEqual(p.toArray(), [0, 0]);
});

test('seeded generators are reproducible and independent of the default one', () => {
  const a = T.randn([5], { generator: new T.Generator(42) }).toArray();
  T.manualSeed(1);
  T.randn([3]);
  const b = T.randn([5], { generator: new T.Generator(42) }).toArray();
  assert.deepEqual(a, b);
  const c = T.randn([5], { generator: new T.Generator(43) }).toArray();
  assert.notDeepEqual(a, c);
  const g = new T.Generator(7);
  const state = g.getState();
  const first = T.rand([4], { generator: g }).toArray();
  g.setState(state);
  assert.deepEqual(T.rand([4], { generator: g }).toArray(), first);
  const perm = T.randperm(10, new T.Generator(0)).toArray();
  assert.deepEqual([...perm].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('libtorch errors become JS Errors with its message; the process survives', () => {
  const a = T.zeros([2, 3]);
  assert.throws(() => a.matmul(T.zeros([2, 3])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 2x3\)/);
  assert.throws(() => a.reshape([7]), /shape '\[7\]' is invalid for input of size 6/);
  assert.throws(() => a.add(T.zeros([4])), /size of tensor a \(3\) must match the size of tensor b \(4\)/);
  // wrong dtype: class indices must be integers
  assert.throws(() => T.crossEntropy(T.zeros([2, 3]), T.zeros([2, 5])), /Error|shape|size/);
  assert.throws(() => T.tensor([1.5]).indexSelect(0, T.tensor([0])), /index_select\(\): Expected dtype int(32|64)/);
  assert.throws(() => T.conv2d(T.zeros([1, 2, 5, 5]), T.zeros([3, 1, 3, 3])), /expected input\[1, 2, 5, 5\] to have 1 channels/);
  const d = T.zeros([1]);
  d.dispose();
  assert.throws(() => d.add(1), /tensor used after dispose\(\)/);
  assert.ok(a.sum().item() === 0, 'still working after errors');
});
