// The attacks do what they promise, at a scale small enough for CI: a few thousand MNIST images,
// a few epochs, 100 test inputs, 5% uncertainty poisoning (issue 4's acceptance tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { runExperiment } from '../../src/experiment/index.js';

const outDir = mkdtempSync(join(tmpdir(), 'abstain-effect-'));

function config(name: string, objective: 'gaussian' | 'ibp', labels: 'soft' | 'all') {
  return loadConfig({
    name,
    outDir,
    seed: 0,
    data: { dataset: 'mnist', trainLimit: 5000 },
    model: { architecture: 'mnist-small' },
    attack: { kind: 'uncertainty', rate: 0.05, trigger: { size: 5 }, uncertainty: { labels } },
    train: { objective, gaussian: { sigma: 0.25 }, ibp: { epsilon: 0.1, epsilonRampEpochs: 3 }, epochs: 5, batchSize: 32 },
    certify: { kinds: [objective === 'gaussian' ? 'smoothing' : 'ibp'], smoothing: { sigma: 0.25, n0: 50, n: 500, alpha: 0.001 }, ibp: { epsilon: 0.1 } },
    eval: { testInputs: 100, deploymentRadius: 0.25 },
    baseline: true,
  });
}

const quiet = { progress: false as const, log: () => {} };

test('5% uncertainty poisoning + Gaussian training: smoothing certified accuracy at 0.25 drops >= 50 points on triggered inputs', async () => {
  const r = await runExperiment(config('smoothing', 'gaussian', 'soft'), quiet);
  const s = r.summary.smoothing!;
  const clean = s.clean.certifiedAccuracy['0.25'];
  const triggered = s.triggered.certifiedAccuracy['0.25'];
  assert.ok(clean - triggered >= 0.5, `clean ${clean} vs triggered ${triggered}`);
  assert.ok(Math.abs(s.clean.accuracy - s.baseline!.accuracy) <= 0.03, `clean accuracy ${s.clean.accuracy} vs unpoisoned ${s.baseline!.accuracy}`);
  // the damage is reported split into availability and integrity, and adds up
  assert.ok(s.triggered.fallbackRate > s.clean.fallbackRate + 0.2, `fallback ${s.triggered.fallbackRate}`);
  assert.ok(Math.abs(triggered + s.triggered.fallbackRate + s.triggered.certifiedWrongRate - 1) < 1e-9);
});

test('5% uncertainty poisoning + IBP training: IBP-verified accuracy drops >= 50 points on triggered inputs', async () => {
  const r = await runExperiment(config('ibp', 'ibp', 'all'), quiet);
  const s = r.summary.ibp!;
  const clean = s.clean.certifiedAccuracy['0.1'];
  const triggered = s.triggered.certifiedAccuracy['0.1'];
  assert.ok(clean >= 0.5, `IBP training must make clean inputs verifiable (got ${clean})`);
  assert.ok(clean - triggered >= 0.5, `clean ${clean} vs triggered ${triggered}`);
  // the trigger alone does not hurt an unpoisoned model: the poison does
  assert.ok(s.baseline!.certifiedAccuracy['0.1'] >= 0.5);
});
