// CPU and GPU agree: the same network, trained, smoothed and bounded on a CUDA device, gives the
// CPU's results within float tolerance (smoothing: within its sampling error, since a CUDA
// generator draws another stream than the CPU's). Every test here runs only where a CUDA GPU is
// present and skips cleanly elsewhere; no test of the suite needs a GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as T from '../../src/tensor/index.js';
import { buildModel, loadModelWeights, saveModel, type Module } from '../../src/nn/index.js';
import { makeSynthetic } from '../../src/data/index.js';
import { Adam } from '../../src/train/optim/adam.js';
import { train, gatherBatch } from '../../src/train/loop.js';
import { standardObjective } from '../../src/train/objective.js';
import { Smooth, certifyCROWN, certifyIBP, crownBounds, ibpBounds } from '../../src/certify/index.js';

const gpu = T.cudaIsAvailable();
const skip = gpu ? false : 'no CUDA GPU here (CPU-only libtorch or no GPU)';
const CUDA: T.Device = 'cuda:0';
const data = makeSynthetic({ n: 256, seed: 1 });
const quiet = { progress: false as const, log: () => {} };

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
};
const weights = (m: Module) => m.parameters().map((p) => Array.from(p.toFloat32Array()));

/** The same initial network on the CPU and on the GPU (weights drawn on the CPU, then moved). */
function pair(arch = 'mnist-small', seed = 3): [Module, Module] {
  const cpu = buildModel(arch, { seed, inputShape: data.shape, numClasses: 10 });
  const dev = buildModel(arch, { seed, inputShape: data.shape, numClasses: 10, device: CUDA });
  return [cpu, dev];
}

test('tensors made on the GPU read back through the CPU; generators draw there, reproducibly', { skip }, () => {
  T.tidy(() => {
    const t = T.tensor([1, 2.5, -3], [3], 'float32', CUDA);
    assert.equal(t.device, CUDA);
    assert.deepEqual(Array.from(t.toFloat32Array()), [1, 2.5, -3]);
    assert.deepEqual(t.mul(2).toArray(), [2, 5, -6]);
    assert.equal(t.sum().item(), 0.5);
    const g1 = new T.Generator(7, CUDA);
    const g2 = new T.Generator(7, CUDA);
    assert.equal(g1.device, CUDA);
    const a = T.randn([1000], { generator: g1 });
    assert.equal(a.device, CUDA, 'drawn on the generator\'s device');
    assert.deepEqual(Array.from(a.toFloat32Array()), Array.from(T.randn([1000], { generator: g2 }).toFloat32Array()));
    const state = g1.getState();
    const next = T.randn([10], { generator: g1 }).toFloat32Array();
    g1.setState(state);
    assert.deepEqual(Array.from(T.randn([10], { generator: g1 }).toFloat32Array()), Array.from(next), 'state round trip');
    const m = a.mean().item();
    assert.ok(Math.abs(m) < 0.15, `mean ${m}`);
  });
});

test('the forward pass agrees between CPU and GPU', { skip }, () => {
  const [cpu, dev] = pair();
  cpu.eval();
  dev.eval();
  T.tidy(() => {
    const idx = Array.from({ length: 64 }, (_, i) => i);
    const x = gatherBatch(data, idx).x;
    close(T.noGrad(() => dev.forward(x.toDevice(CUDA))).toFloat32Array(), T.noGrad(() => cpu.forward(x)).toFloat32Array(), 1e-4, 'logits');
  });
  cpu.dispose();
  dev.dispose();
});

test('training on the GPU follows the CPU run; optimizer state lives on the GPU; checkpoints are CPU files', { skip }, async () => {
  const [cpu, dev] = pair('mlp');
  const optCpu = new Adam(cpu.parameters(), { lr: 1e-3 });
  const optDev = new Adam(dev.parameters(), { lr: 1e-3 });
  const dir = mkdtempSync(join(tmpdir(), 'abstain-gpu-'));
  const o = { objective: standardObjective, data, epochs: 2, batchSize: 64, seed: 5, ...quiet };
  await train({ model: cpu, optimizer: optCpu, ...o });
  await train({ model: dev, optimizer: optDev, checkpointDir: join(dir, 'ck'), ...o });
  for (const [i, w] of weights(dev).entries()) close(w, weights(cpu)[i], 1e-3, `parameter ${i}`);
  for (const t of Object.values(optDev.stateDict().tensors)) assert.equal(t.device, CUDA);
  // the model file written from the GPU loads on the CPU
  saveModel(join(dir, 'm.safetensors'), dev);
  const back = buildModel('mlp', { seed: 9, inputShape: data.shape, numClasses: 10 });
  loadModelWeights(join(dir, 'm.safetensors'), back);
  assert.deepEqual(weights(back), weights(dev));
  const meta = JSON.parse(readFileSync(join(dir, 'ck', 'state.json'), 'utf8'));
  assert.equal(meta.device, CUDA);
  for (const m of [cpu, dev, back]) m.dispose();
  optCpu.dispose();
  optDev.dispose();
});

test('an optimizer built before model.to(device) keeps working', { skip }, () => {
  const model = buildModel('mlp', { seed: 2, inputShape: data.shape, numClasses: 10 });
  const opt = new Adam(model.parameters(), { lr: 1e-2 });
  const step = () =>
    T.tidy(() => {
      const b = gatherBatch(data, [0, 1, 2, 3], model.device);
      opt.zeroGrad();
      T.crossEntropy(model.forward(b.x), b.y).backward();
      opt.step();
    });
  step(); // state made on the CPU
  model.to(CUDA);
  step(); // state follows its parameter
  for (const t of Object.values(opt.stateDict().tensors)) assert.equal(t.device, CUDA);
  opt.dispose();
  model.dispose();
});

test('IBP and CROWN bounds agree between CPU and GPU', { skip }, () => {
  const [cpu, dev] = pair();
  cpu.eval();
  dev.eval();
  T.tidy(() => {
    const x = gatherBatch(data, [0, 1, 2, 3, 4, 5, 6, 7]).x;
    const xd = x.toDevice(CUDA);
    const ic = ibpBounds(cpu, x, 0.02);
    const id = ibpBounds(dev, xd, 0.02);
    close(id.lower.toFloat32Array(), ic.lower.toFloat32Array(), 1e-4, 'IBP lower');
    close(id.upper.toFloat32Array(), ic.upper.toFloat32Array(), 1e-4, 'IBP upper');
    const cc = crownBounds(cpu, x, 0.02);
    const cd = crownBounds(dev, xd, 0.02);
    close(cd.lower.toFloat32Array(), cc.lower.toFloat32Array(), 1e-3, 'CROWN lower');
    const labels = Array.from(data.labels.subarray(0, 8));
    const a = certifyCROWN(cpu, x, labels, 0.02);
    const b = certifyCROWN(dev, xd, labels, 0.02);
    const c = certifyIBP(dev, xd, labels, 0.02);
    assert.deepEqual(b.map((r) => r.prediction), a.map((r) => r.prediction));
    assert.equal(c.length, 8);
  });
  cpu.dispose();
  dev.dispose();
});

test('smoothing on the GPU: reproducible from its seed, and its counts agree with the CPU within sampling error', { skip }, () => {
  const [cpu, dev] = pair('mlp');
  cpu.eval();
  dev.eval();
  const n = 2000;
  T.tidy(() => {
    const x = gatherBatch(data, [0, 1, 2, 3]).x;
    const labels = Array.from(data.labels.subarray(0, 4));
    const run = (m: Module, device: T.Device, seed: number) =>
      new Smooth((b) => m.forward(b), 10, 0.25, { generator: new T.Generator(seed, device), batchSize: 500 }).certifyMany(x.toDevice(device), labels, { n0: 100, n, alpha: 0.001 });
    const g1 = run(dev, CUDA, 11);
    const g2 = run(dev, CUDA, 11);
    assert.deepEqual(g1.map((c) => c.counts), g2.map((c) => c.counts), 'same seed, same device: same counts');
    const c1 = run(cpu, 'cpu', 11);
    for (let i = 0; i < 4; i++) {
      const top = c1[i].counts!.indexOf(Math.max(...c1[i].counts!));
      const p = c1[i].counts![top] / n;
      const q = g1[i].counts![top] / n;
      const sd = Math.sqrt(Math.max(p * (1 - p), 1 / n) * 2 / n);
      assert.ok(Math.abs(p - q) <= 6 * sd, `input ${i}: top-class share ${p} on the CPU, ${q} on the GPU`);
    }
    // a generator on another device than the inputs is a clear error
    const mismatched = new Smooth((b) => dev.forward(b), 10, 0.25, { generator: new T.Generator(1) });
    assert.throws(() => mismatched.certifyMany(x.toDevice(CUDA), labels, { n0: 10, n: 10, alpha: 0.1 }), /the inputs are on cuda:0 but the noise generator is on cpu/);
  });
  cpu.dispose();
  dev.dispose();
});
