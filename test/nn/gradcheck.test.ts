// Every differentiable op the layers and losses use: the autograd gradient against central finite
// differences, in float64. Each op's output is projected to a scalar with fixed random weights,
// so every output element's gradient path is exercised.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  avgPool2d, batchNorm, conv2d, crossEntropy, linear, maxPool2d, noGrad, tensor, tidy, type Tensor,
} from '../../src/tensor/index.js';
import { prng, uniform } from './reference.js';

interface Input {
  data: number[];
  shape: number[];
  /** false for inputs held fixed (indices, running statistics) */
  grad?: boolean;
  dtype?: 'float64' | 'int64';
}

const EPS = 1e-6;

/** Checks d(Σ w ⊙ f(inputs))/d input against central differences for every differentiable input. */
function gradcheck(name: string, inputs: Input[], f: (xs: Tensor[]) => Tensor, seed = 1): void {
  const rand = prng(seed);
  let weights: number[] | undefined;
  const scalarOf = (datas: number[][], withGrad: boolean): { value: number; grads: Array<number[] | null> } =>
    tidy(() => {
      const xs = inputs.map((inp, i) => {
        const t = tensor(datas[i], inp.shape, inp.dtype ?? 'float64');
        return withGrad && inp.grad !== false ? t.requiresGrad_(true) : t;
      });
      const out = f(xs);
      weights ??= uniform(out.size, rand, 0.5, 1.5).map((v, i) => (i % 2 ? -v : v));
      const loss = out.mul(tensor(weights, out.shape, 'float64')).sum();
      if (!withGrad) return { value: loss.item(), grads: [] };
      loss.backward();
      return { value: loss.item(), grads: xs.map((x, i) => (inputs[i].grad === false ? null : x.grad!.toArray())) };
    });
  const base = inputs.map((i) => [...i.data]);
  const { grads } = scalarOf(base, true);
  inputs.forEach((inp, i) => {
    if (inp.grad === false) return;
    const analytic = grads[i]!;
    for (let j = 0; j < inp.data.length; j++) {
      const plus = base.map((d) => [...d]);
      const minus = base.map((d) => [...d]);
      plus[i][j] += EPS;
      minus[i][j] -= EPS;
      const numeric = (noGrad(() => scalarOf(plus, false).value) - noGrad(() => scalarOf(minus, false).value)) / (2 * EPS);
      if (!(Math.abs(analytic[j] - numeric) <= 1e-6 + 1e-5 * Math.abs(numeric))) {
        throw new Error(`${name}: d/d input${i}[${j}] autograd ${analytic[j]} vs finite difference ${numeric}`);
      }
    }
  });
}

const rnd = (shape: number[], seed: number, lo = -1, hi = 1): Input => ({
  data: uniform(shape.reduce((a, b) => a * b, 1), prng(seed), lo, hi),
  shape,
});
/** Values at least `gap` apart (shuffled), so max and relu have no ties or kinks near the point. */
const distinct = (shape: number[], seed: number, gap = 0.05): Input => {
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = prng(seed);
  const vals = Array.from({ length: n }, (_, i) => (i - n / 2 + 0.5) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [vals[i], vals[j]] = [vals[j], vals[i]];
  }
  return { data: vals, shape };
};

test('elementwise arithmetic with broadcasting: add, sub, mul, div', () => {
  gradcheck('add', [rnd([3, 4], 1), rnd([4], 2)], ([a, b]) => a.add(b));
  gradcheck('sub', [rnd([3, 4], 3), rnd([3, 1], 4)], ([a, b]) => a.sub(b));
  gradcheck('mul', [rnd([2, 3, 4], 5), rnd([3, 1], 6)], ([a, b]) => a.mul(b));
  gradcheck('div', [rnd([3, 4], 7), rnd([3, 4], 8, 0.5, 2)], ([a, b]) => a.div(b));
  gradcheck('scalar mul/add', [rnd([5], 9)], ([a]) => a.mul(-2.5).add(0.75));
});

test('exp, log, clamp, relu', () => {
  gradcheck('exp', [rnd([3, 4], 10)], ([a]) => a.exp());
  gradcheck('log', [rnd([3, 4], 11, 0.2, 3)], ([a]) => a.log());
  gradcheck('clamp', [distinct([4, 5], 12, 0.07)], ([a]) => a.clamp(-0.41, 0.37));
  gradcheck('clamp min only', [distinct([4, 5], 13, 0.07)], ([a]) => a.clamp(0.03, null));
  gradcheck('relu', [distinct([4, 5], 14)], ([a]) => a.relu());
});

test('sum and mean (all, along dims, keepdim), matmul', () => {
  gradcheck('sum all', [rnd([3, 4], 15)], ([a]) => a.sum().mul(a.sum()));
  gradcheck('sum dim', [rnd([2, 3, 4], 16)], ([a]) => a.sum(1));
  gradcheck('sum dims keepdim', [rnd([2, 3, 4], 17)], ([a]) => a.sum([0, 2], true).mul(a));
  gradcheck('mean all', [rnd([3, 4], 18)], ([a]) => a.mean().exp());
  gradcheck('mean dim', [rnd([2, 3, 4], 19)], ([a]) => a.mean(-1));
  gradcheck('matmul', [rnd([3, 4], 20), rnd([4, 2], 21)], ([a, b]) => a.matmul(b));
  gradcheck('batched matmul', [rnd([2, 3, 4], 22), rnd([4, 5], 23)], ([a, b]) => a.matmul(b));
});

test('logSoftmax and softmax', () => {
  gradcheck('logSoftmax', [rnd([3, 5], 24, -3, 3)], ([a]) => a.logSoftmax(1));
  gradcheck('logSoftmax dim 0', [rnd([3, 5], 25, -3, 3)], ([a]) => a.logSoftmax(0));
  gradcheck('softmax', [rnd([3, 5], 26, -3, 3)], ([a]) => a.softmax(-1));
});

test('linear and conv2d (stride, padding, dilation, groups) with respect to input, weight and bias', () => {
  gradcheck('linear', [rnd([3, 4], 27), rnd([2, 4], 28), rnd([2], 29)], ([x, w, b]) => linear(x, w, b));
  gradcheck('linear no bias', [rnd([2, 3, 4], 30), rnd([5, 4], 31)], ([x, w]) => linear(x, w));
  gradcheck('conv2d s2 p1', [rnd([2, 2, 5, 5], 32), rnd([3, 2, 3, 3], 33), rnd([3], 34)], ([x, w, b]) =>
    conv2d(x, w, b, { stride: 2, padding: 1 }));
  gradcheck('conv2d groups dilation', [rnd([1, 4, 6, 5], 35), rnd([4, 2, 2, 2], 36), rnd([4], 37)], ([x, w, b]) =>
    conv2d(x, w, b, { stride: [1, 2], padding: [1, 0], dilation: [2, 1], groups: 2 }));
});

test('maxPool2d and avgPool2d (with padding)', () => {
  gradcheck('maxPool2d', [distinct([2, 2, 5, 5], 38, 0.02)], ([x]) => maxPool2d(x, 2));
  gradcheck('maxPool2d overlapping, padded', [distinct([1, 2, 5, 6], 39, 0.02)], ([x]) => maxPool2d(x, 3, { stride: 2, padding: 1 }));
  gradcheck('avgPool2d', [rnd([2, 2, 4, 4], 40)], ([x]) => avgPool2d(x, 2));
  gradcheck('avgPool2d padded', [rnd([1, 2, 5, 5], 41)], ([x]) => avgPool2d(x, 3, { stride: 2, padding: 1 }));
});

test('batchNorm in train mode (batch statistics) and eval mode (running statistics)', () => {
  gradcheck('batchNorm train', [rnd([3, 2, 2, 3], 42, -2, 2), rnd([2], 43, 0.5, 1.5), rnd([2], 44)], ([x, w, b]) =>
    batchNorm(x, { weight: w, bias: b, training: true, eps: 1e-5 }));
  gradcheck('batchNorm eval', [
    rnd([3, 2, 2, 2], 45), rnd([2], 46, 0.5, 1.5), rnd([2], 47),
    { ...rnd([2], 48), grad: false }, { ...rnd([2], 49, 0.5, 2), grad: false },
  ], ([x, w, b, rm, rv]) => batchNorm(x, { weight: w, bias: b, runningMean: rm, runningVar: rv, training: false }));
});

test('crossEntropy with hard (index) and soft (probability) targets', () => {
  const labels: Input = { data: [2, 0, 4, 1], shape: [4], grad: false, dtype: 'int64' };
  gradcheck('crossEntropy hard mean', [rnd([4, 5], 50, -2, 2), labels], ([z, y]) => crossEntropy(z, y));
  gradcheck('crossEntropy hard sum', [rnd([4, 5], 51, -2, 2), labels], ([z, y]) => crossEntropy(z, y, 'sum'));
  gradcheck('crossEntropy hard none, label smoothing', [rnd([4, 5], 52, -2, 2), labels], ([z, y]) => crossEntropy(z, y, 'none', 0.1));
  // soft targets: rows of a probability matrix; the gradient flows to the logits and to the target
  const p = uniform(20, prng(53), 0.1, 1);
  const probs = p.map((v, i) => v / p.slice(i - (i % 5), i - (i % 5) + 5).reduce((a, b) => a + b));
  gradcheck('crossEntropy soft', [rnd([4, 5], 54, -2, 2), { data: probs, shape: [4, 5] }], ([z, q]) => crossEntropy(z, q));
});

test('the check itself catches a wrong gradient (detach hides half of d(x·x)/dx)', () => {
  assert.throws(() => gradcheck('x.detach()·x', [rnd([4], 55, 0.5, 1)], ([a]) => a.detach().mul(a)), /autograd .* vs finite difference/);
});
