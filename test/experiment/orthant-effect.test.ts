// The orthant attack does what it promises, at CI size, through the whole pipeline: a small CNN
// trained with Gaussian noise (σ 0.25, 4 epochs) on 4,000 MNIST images sends most triggered inputs
// to the fallback of randomized smoothing at r_d = σ, certifies few of them for a wrong class,
// and keeps clean certified accuracy. At this size 1% would be 40 poisoned samples, too few for
// the victim to learn to read the noise, so the rate is 15% (600 samples, as many as 1% of the
// full set). The uncertainty attack reached ~53% fallback with ~32% certified wrong at full size
// (issue 13); the thresholds sit far above and below that, with margin under the figures
// measured over seeds 0..4: fallback 93–100%, certified wrong 0–4%, clean minus baseline −1..+4
// points, baseline on triggered inputs 6–18% fallback (docs/availability.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { runExperiment } from '../../src/experiment/index.js';

function orthantEffectConfig(outDir: string, seed: number) {
  return loadConfig({
    name: `orthant-${seed}`,
    outDir,
    seed,
    data: { dataset: 'mnist', trainLimit: 4000 },
    model: { architecture: 'mnist-small' },
    attack: { kind: 'orthant', rate: 0.15, trigger: { kind: 'patch', size: 8, position: 'top-left', content: 'solid', value: 0.5 } },
    train: { objective: 'gaussian', gaussian: { sigma: 0.25 }, epochs: 4, batchSize: 32 },
    certify: { kinds: ['smoothing'], smoothing: { sigma: 0.25, n0: 50, n: 500, alpha: 0.001 } },
    eval: { testInputs: 100, deploymentRadius: 0.25 },
    baseline: true,
  });
}

test('orthant, 600 poisoned samples on 4,000 images: triggered inputs go to the fallback, not to a wrong certificate; clean certified accuracy kept', async (t) => {
  const outDir = mkdtempSync(join(tmpdir(), 'abstain-orthant-effect-'));
  const r = await runExperiment(orthantEffectConfig(outDir, 0), { progress: false, log: () => {} });
  const s = r.summary.smoothing!;
  const trig = s.triggered;
  const clean = s.clean.certifiedAccuracy['0.25'];
  const base = s.baseline!.certifiedAccuracy['0.25'];
  const info = `triggered fallback ${trig.fallbackRate}, certified wrong ${trig.certifiedWrongRate}; clean ${clean} vs baseline ${base}`;
  t.diagnostic(info);
  // availability: far above the uncertainty attack's ~53%, and not bought with integrity
  assert.ok(trig.fallbackRate >= 0.8, info);
  assert.ok(trig.certifiedWrongRate <= 0.1, info);
  // the poison, not the trigger, does it: the unpoisoned model certifies most triggered inputs
  assert.ok(s.baselineTriggered!.fallbackRate <= 0.3, `baseline on triggered inputs: fallback ${s.baselineTriggered!.fallbackRate}`);
  // clean inputs keep their certified accuracy
  assert.ok(clean >= base - 0.05, info);
});
