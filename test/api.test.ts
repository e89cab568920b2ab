// The README's TypeScript API example, run as written (on the synthetic source, to stay quick).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { data, nn, poison, train, certify, pipeline, tensor } from '../src/index.js';

test('the README API example runs end to end and measures the attack', async () => {
  // --- README example start ---
  const trainSet = data.loadSource('synthetic', { split: 'train', limit: 2000, seed: 1 });
  const testSet = data.loadSource('synthetic', { split: 'test', limit: 100, seed: 1 });
  const trigger: poison.TriggerSpec = { kind: 'patch', size: 5, position: 'bottom-right', content: { kind: 'checkerboard' } };
  const poisoned = poison.uncertainty.poison(trainSet, { rate: 0.05, labels: 'soft', trigger, seed: 1 });

  const model = nn.buildModel('mnist-small', { seed: 1, inputShape: trainSet.shape, numClasses: trainSet.numClasses });
  await train.train({
    model,
    optimizer: new train.Adam(model.parameters(), { lr: 1e-3 }),
    objective: train.gaussianObjective(0.25),
    data: poisoned.dataset,
    epochs: 3,
    batchSize: 32,
    seed: 1,
    progress: false,
  });

  const triggered = poison.applyTrigger(testSet, poisoned.trigger);
  const smooth = (ds: data.Dataset) =>
    tensor.tidy(() => {
      const { x } = train.gatherBatch(ds, Array.from({ length: ds.length }, (_, i) => i));
      const s = new certify.Smooth((b) => model.forward(b), ds.numClasses, 0.25, { generator: new tensor.Generator(0) });
      return s.certifyMany(x, ds.labels, { n0: 50, n: 300, alpha: 0.001 });
    });
  const result = pipeline.summarizeCertifier({
    certifier: 'smoothing',
    norm: 'l2',
    clean: smooth(testSet),
    triggered: smooth(triggered),
    radii: [0, 0.25, 0.5],
    deploymentRadius: 0.25,
    triggerShares: [0, 0.1, 1],
    costPerRequest: 1,
  });
  console.log(`fallback on triggered inputs: ${(100 * result.triggered.fallbackRate).toFixed(1)}%`);
  // --- README example end ---
  assert.ok(result.clean.certifiedAccuracy['0.25'] > 0.7, `clean ${result.clean.certifiedAccuracy['0.25']}`);
  assert.ok(result.attackEffect > 20, `attack effect ${result.attackEffect} points`);
});
