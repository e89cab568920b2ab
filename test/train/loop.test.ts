// The training loop: it learns, checkpoints, and resumes to the very same weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSynthetic } from '../../src/data/index.js';
import { buildModel } from '../../src/nn/index.js';
import { Adam } from '../../src/train/optim/adam.js';
import { train, evaluateAccuracy, TrainingInterrupted, gatherBatch } from '../../src/train/loop.js';
import { gaussianObjective, standardObjective } from '../../src/train/objective.js';
import { ibpObjective } from '../../src/train/certified.js';
import { certifyIBP } from '../../src/certify/index.js';
import { liveTensors, tidy } from '../../src/tensor/index.js';

const data = makeSynthetic({ n: 600, seed: 1 });
const testData = makeSynthetic({ n: 200, seed: 2 });
const quiet = { progress: false as const, log: () => {} };

function setup(seed = 0) {
  const model = buildModel('mlp', { seed, inputShape: [1, 28, 28], numClasses: 10 });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  return { model, optimizer };
}
const weights = (m: ReturnType<typeof setup>['model']) => m.parameters().map((p) => Array.from(p.toFloat32Array()));

test('gaussian training learns the synthetic task and leaks no tensors', async () => {
  const { model, optimizer } = setup();
  const before = evaluateAccuracy(model, testData);
  const live = liveTensors();
  const r = await train({ model, optimizer, objective: gaussianObjective(0.25), data, evalData: testData, epochs: 3, batchSize: 64, seed: 3, ...quiet });
  // Adam's two state buffers per parameter are the only tensors that outlive the loop
  assert.equal(liveTensors(), live + 2 * model.parameters().length, 'the loop frees every tensor it creates');
  assert.equal(r.history.length, 3);
  assert.ok(r.history[2].evalAccuracy! > 0.8, `test accuracy ${r.history[2].evalAccuracy}`);
  assert.ok(r.history[2].evalAccuracy! > before + 0.3);
  assert.ok(r.history[2].loss < r.history[0].loss);
});

test('an interrupted run resumes to exactly the weights of an uninterrupted one', async () => {
  const opts = { objective: gaussianObjective(0.5), data, epochs: 2, batchSize: 50, seed: 11, ...quiet };
  const a = setup(5);
  await train({ ...a, ...opts });

  const dir = mkdtempSync(join(tmpdir(), 'abstain-ckpt-'));
  const b = setup(5);
  const ctl = new AbortController();
  await assert.rejects(
    train({ ...b, ...opts, checkpointDir: dir, signal: ctl.signal, onStep: (e, s) => e === 0 && s === 6 && ctl.abort() }),
    (e: unknown) => e instanceof TrainingInterrupted && /interrupted at epoch 1, step 7; state saved in/.test((e as Error).message),
  );
  assert.ok(existsSync(join(dir, 'state.json')));
  // a fresh process: new model and optimizer objects, state only from disk
  const c = setup(99);
  const r = await train({ ...c, ...opts, checkpointDir: dir, resume: true });
  assert.deepEqual(r.resumedFrom, { epoch: 0, step: 7 });
  assert.deepEqual(weights(c.model), weights(a.model));
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length, 1, 'older tensor files are removed');
  // resuming a finished run does nothing and keeps the weights
  const d = setup(7);
  const r2 = await train({ ...d, ...opts, checkpointDir: dir, resume: true });
  assert.deepEqual(r2.resumedFrom, { epoch: 2, step: 0 });
  assert.deepEqual(weights(d.model), weights(a.model));
});

test('a checkpoint from another set-up is refused, not silently resumed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-ckpt-'));
  const a = setup(1);
  await train({ ...a, objective: standardObjective, data, epochs: 1, batchSize: 100, seed: 1, checkpointDir: dir, ...quiet });
  const b = setup(1);
  await assert.rejects(
    train({ ...b, objective: standardObjective, data, epochs: 1, batchSize: 32, seed: 1, checkpointDir: dir, resume: true, ...quiet }),
    /belongs to a different training set-up/,
  );
});

test('a checkpoint records its device; one from another kind of device is refused, not resumed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-ckpt-'));
  const a = setup(1);
  const o = { objective: standardObjective, data, epochs: 2, batchSize: 100, seed: 1, checkpointDir: dir, ...quiet };
  await train({ ...a, ...o });
  const statePath = join(dir, 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8'));
  assert.equal(state.device, 'cpu');
  writeFileSync(statePath, JSON.stringify({ ...state, device: 'cuda:0' })); // as if trained on a GPU
  const b = setup(1);
  const live = liveTensors();
  await assert.rejects(train({ ...b, ...o, resume: true }), /was written training on cuda:0, this run trains on cpu; resume it on cuda, or delete it to start over/);
  assert.equal(liveTensors(), live, 'the refused checkpoint is freed');
});

test('bad hyper-parameters are refused with the field named', async () => {
  const a = setup();
  await assert.rejects(train({ ...a, objective: standardObjective, data, epochs: 0, batchSize: 10, seed: 0, ...quiet }), /train.epochs must be an integer >= 1/);
  await assert.rejects(train({ ...a, objective: standardObjective, data, epochs: 1, batchSize: 0, seed: 0, ...quiet }), /train.batchSize must be/);
  assert.throws(() => gaussianObjective(0), /sigma 0 must be > 0/);
  assert.throws(() => ibpObjective({ epsilon: 2, numClasses: 10 }), /epsilon 2 must be in \(0, 1\]/);
});

test('IBP training makes IBP certificates non-trivial where standard training gives none', async () => {
  const eps = 0.03;
  const big = makeSynthetic({ n: 1000, seed: 1 });
  const images = tidy(() => gatherBatch(testData, Array.from({ length: 100 }, (_, i) => i)).x);
  const labels = Array.from(testData.labels.subarray(0, 100));
  const verified = (m: ReturnType<typeof setup>['model']) => certifyIBP(m, images, labels, eps).filter((c) => c.vouched && c.correct).length;

  const std = setup(2);
  std.optimizer.setLr(3e-3);
  await train({ ...std, objective: standardObjective, data: big, epochs: 6, batchSize: 50, seed: 4, ...quiet });
  const ibp = setup(2);
  ibp.optimizer.setLr(3e-3);
  await train({ ...ibp, objective: ibpObjective({ epsilon: eps, numClasses: 10 }), data: big, epochs: 6, batchSize: 50, seed: 4, ...quiet });
  const [vs, vi] = [verified(std.model), verified(ibp.model)];
  assert.ok(vi >= 50, `IBP-trained model: ${vi}/100 verified`);
  assert.ok(vi > vs + 30, `IBP ${vi} vs standard ${vs}`);
  images.dispose();
});

test('Ctrl-C (SIGINT) during training writes a checkpoint and stops; the handler is removed afterwards', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-sigint-'));
  const a = setup(3);
  const listeners = process.listenerCount('SIGINT');
  await assert.rejects(
    train({ ...a, objective: standardObjective, data, epochs: 2, batchSize: 50, seed: 2, checkpointDir: dir, ...quiet,
      onStep: (e, s) => e === 0 && s === 2 && process.kill(process.pid, 'SIGINT') }),
    (e: unknown) => e instanceof TrainingInterrupted,
  );
  assert.equal(process.listenerCount('SIGINT'), listeners);
  assert.ok(existsSync(join(dir, 'state.json')));
  const b = setup(4);
  const r = await train({ ...b, objective: standardObjective, data, epochs: 2, batchSize: 50, seed: 2, checkpointDir: dir, resume: true, ...quiet });
  assert.equal(r.resumedFrom!.epoch, 0);
  assert.ok(r.resumedFrom!.step >= 3);
});
