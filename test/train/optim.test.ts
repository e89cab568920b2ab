// SGD and Adam against an independent plain-JS float64 implementation of torch.optim's (1.13)
// update equations on a small linear regression, and state save/restore.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose, keep, loadSafetensors, saveSafetensors, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { Adam, SGD, type AdamOptions, type Optimizer, type SGDOptions } from '../../src/train/optim.js';

// Regression: X [N,D] · W [D,K] + b [K] ≈ Y [N,K], loss = mean of squared residuals.
const N = 5, D = 3, K = 2;
const X = Array.from({ length: N * D }, (_, i) => Math.sin(1.3 * i + 0.2));
const Y = Array.from({ length: N * K }, (_, i) => Math.cos(0.7 * i) * 2);
const W0 = Array.from({ length: D * K }, (_, i) => 0.3 * Math.cos(2.1 * i));
const B0 = [0.1, -0.2];

/** Gradients of the loss for W and b, by hand: dL/dW = 2/(NK)·Xᵀ R, dL/db = 2/(NK)·Σ_n R. */
function gradients([w, b]: number[][]): number[][] {
  const gw = new Array(D * K).fill(0);
  const gb = new Array(K).fill(0);
  for (let n = 0; n < N; n++)
    for (let k = 0; k < K; k++) {
      let pred = b[k];
      for (let d = 0; d < D; d++) pred += X[n * D + d] * w[d * K + k];
      const r = (2 / (N * K)) * (pred - Y[n * K + k]);
      gb[k] += r;
      for (let d = 0; d < D; d++) gw[d * K + k] += X[n * D + d] * r;
    }
  return [gw, gb];
}

/** torch.optim.SGD's single-tensor loop, transcribed to plain JS arrays. */
function sgdReference(o: Required<SGDOptions>, lrs: number[]): number[][] {
  const params = [[...W0], [...B0]];
  const bufs: Array<number[] | null> = [null, null];
  for (const lr of lrs) {
    const grads = gradients(params);
    params.forEach((p, i) => {
      let d = grads[i].map((g, j) => g + o.weightDecay * p[j]);
      if (o.momentum !== 0) {
        const buf = bufs[i] ? bufs[i]!.map((v, j) => o.momentum * v + (1 - o.dampening) * d[j]) : [...d];
        bufs[i] = buf;
        d = o.nesterov ? d.map((v, j) => v + o.momentum * buf[j]) : buf;
      }
      for (let j = 0; j < p.length; j++) p[j] -= lr * d[j];
    });
  }
  return params;
}

/** torch.optim.Adam's single-tensor loop, transcribed to plain JS arrays. */
function adamReference(o: Required<AdamOptions>, lrs: number[]): number[][] {
  const params = [[...W0], [...B0]];
  const st = params.map((p) => ({ m: p.map(() => 0), v: p.map(() => 0), vmax: p.map(() => 0), t: 0 }));
  const [b1, b2] = o.betas;
  for (const lr of lrs) {
    const grads = gradients(params);
    params.forEach((p, i) => {
      const s = st[i];
      s.t += 1;
      const g = grads[i].map((v, j) => v + o.weightDecay * p[j]);
      s.m = s.m.map((m, j) => b1 * m + (1 - b1) * g[j]);
      s.v = s.v.map((v, j) => b2 * v + (1 - b2) * g[j] * g[j]);
      if (o.amsgrad) s.vmax = s.vmax.map((m, j) => Math.max(m, s.v[j]));
      const second = o.amsgrad ? s.vmax : s.v;
      const stepSize = lr / (1 - b1 ** s.t);
      const bc2Sqrt = Math.sqrt(1 - b2 ** s.t);
      for (let j = 0; j < p.length; j++) p[j] -= (stepSize * s.m[j]) / (Math.sqrt(second[j]) / bc2Sqrt + o.eps);
    });
  }
  return params;
}

function makeParams(w = W0, b = B0): Tensor[] {
  return keep([tensor(w, [D, K], 'float64').requiresGrad_(true), tensor(b, [K], 'float64').requiresGrad_(true)]);
}

/** Steps opt with autograd gradients of the regression loss, setting lrs[i] before step i. */
function run(opt: Optimizer, [w, b]: Tensor[], lrs: number[]): void {
  const x = tensor(X, [N, D], 'float64');
  const y = tensor(Y, [N, K], 'float64');
  for (const lr of lrs) {
    opt.setLr(lr);
    tidy(() => {
      opt.zeroGrad();
      x.matmul(w).add(b).sub(y).square().mean().backward();
      opt.step();
    });
  }
  dispose([x, y]);
}

function assertNear(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= 1e-12 * (1 + Math.abs(expected[i])), `${what}[${i}]: ${a} vs ${expected[i]}`));
}

const LRS = [0.1, 0.1, 0.05, 0.05, 0.2, 0.1, 0.1, 0.02];

test('SGD: plain, momentum, dampening, Nesterov and weight decay follow PyTorch step by step', () => {
  const configs: Array<Required<SGDOptions>> = [
    { lr: 0, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    { lr: 0, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    { lr: 0, momentum: 0.8, dampening: 0.5, nesterov: false, weightDecay: 0.01 },
    { lr: 0, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.05 },
  ];
  for (const c of configs) {
    const params = makeParams();
    const opt = new SGD(params, c);
    run(opt, params, LRS);
    const expected = sgdReference(c, LRS);
    assertNear(params[0].toArray(), expected[0], `SGD ${JSON.stringify(c)} W`);
    assertNear(params[1].toArray(), expected[1], `SGD ${JSON.stringify(c)} b`);
    assert.notDeepEqual(params[0].toArray(), W0);
    opt.dispose();
    dispose(params);
  }
  assert.throws(() => new SGD(makeParams(), { lr: 0.1, nesterov: true }), /Nesterov momentum requires momentum > 0 and dampening = 0/);
  assert.throws(() => new SGD([], { lr: 0.1 }), /empty parameter list/);
});

test('Adam: defaults, betas, weight decay and AMSGrad follow PyTorch step by step', () => {
  const configs: Array<Required<AdamOptions>> = [
    { lr: 0, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false },
    { lr: 0, betas: [0.5, 0.9], eps: 1e-3, weightDecay: 0.1, amsgrad: false },
    { lr: 0, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.02, amsgrad: true },
  ];
  for (const c of configs) {
    const params = makeParams();
    const opt = new Adam(params, c);
    run(opt, params, LRS);
    const expected = adamReference(c, LRS);
    assertNear(params[0].toArray(), expected[0], `Adam ${JSON.stringify(c)} W`);
    assertNear(params[1].toArray(), expected[1], `Adam ${JSON.stringify(c)} b`);
    opt.dispose();
    dispose(params);
  }
  assert.throws(() => new Adam(makeParams(), { betas: [0.9, 1] }), /betas must be two numbers in \[0, 1\)/);
});

test('a parameter without a gradient is skipped and gets no state', () => {
  const params = makeParams();
  const unused = keep(tensor([1, 2, 3], [3], 'float64').requiresGrad_(true));
  const opt = new Adam([...params, unused], { lr: 0.1, weightDecay: 0.1 });
  run(opt, params, [0.1, 0.1]);
  assert.deepEqual(unused.toArray(), [1, 2, 3]);
  const sd = opt.stateDict();
  assert.deepEqual(Object.keys(sd.tensors).sort(), ['0.exp_avg', '0.exp_avg_sq', '1.exp_avg', '1.exp_avg_sq']);
  assert.deepEqual(sd.meta.steps, [2, 2, 0]);
  opt.dispose();
  dispose([...params, unused]);
});

test('state saved to safetensors + JSON and restored continues the identical trajectory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-optim-'));
  try {
    const cases: Array<[string, (p: Tensor[]) => Optimizer]> = [
      ['sgd', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
      ['adam', (p) => new Adam(p, { lr: 0.05, betas: [0.8, 0.9], weightDecay: 0.01, amsgrad: true })],
    ];
    for (const [name, make] of cases) {
      const a = makeParams();
      const optA = make(a);
      run(optA, a, [0.1, 0.05, 0.1]);
      const sd = optA.stateDict();
      saveSafetensors(join(dir, `${name}.safetensors`), sd.tensors);
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(sd.meta));

      // a fresh optimizer with different hyperparameters, over parameters copied from a
      const b = makeParams(a[0].toArray(), a[1].toArray());
      const optB = name === 'sgd' ? new SGD(b, { lr: 9 }) : new Adam(b, { lr: 9 });
      const file = loadSafetensors(join(dir, `${name}.safetensors`));
      optB.loadStateDict({ tensors: file.tensors, meta: JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) });
      dispose(file.tensors); // the optimizer copied them
      assert.equal(optB.lr, optA.lr);

      run(optA, a, [0.1, 0.1, 0.02, 0.1]);
      run(optB, b, [0.1, 0.1, 0.02, 0.1]);
      assert.deepEqual(b[0].toArray(), a[0].toArray(), `${name}: W diverged after restore`);
      assert.deepEqual(b[1].toArray(), a[1].toArray(), `${name}: b diverged after restore`);

      // without the restored state the trajectory differs (so the check above means something)
      const c = makeParams(b[0].toArray(), b[1].toArray());
      const optC = make(c);
      run(optC, c, [0.1]);
      run(optA, a, [0.1]);
      assert.notDeepEqual(c[0].toArray(), a[0].toArray());
      for (const o of [optA, optB, optC]) o.dispose();
      dispose([...a, ...b, ...c]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loading a mismatched optimizer state fails clearly and changes nothing', () => {
  const p = makeParams();
  const adam = new Adam(p, { lr: 0.1 });
  run(adam, p, [0.1]);
  const sd = adam.stateDict();
  const sgd = new SGD(p, { lr: 0.1 });
  assert.throws(() => sgd.loadStateDict(sd), { message: "sgd.loadStateDict: the state is from a 'adam' optimizer, not 'sgd'" });
  const other = new Adam([p[0]], { lr: 0.1 });
  assert.throws(() => other.loadStateDict(sd), /covers 2 parameters, this optimizer has 1/);
  const swapped = new Adam([p[1], p[0]], { lr: 0.1 });
  assert.throws(() => swapped.loadStateDict(sd), /tensor '0\.exp_avg' has shape \[3,2\], parameter 0 has \[2\]/);
  assert.throws(() => adam.loadStateDict({ ...sd, tensors: { ...sd.tensors, '0.momentum': sd.tensors['0.exp_avg'] } }), /unexpected tensor '0\.momentum'/);
  assert.deepEqual(adam.stateDict().meta.steps, [1, 1]);
  for (const o of [adam, sgd, other, swapped]) o.dispose();
  dispose(p);
});
