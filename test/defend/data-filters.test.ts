// Spectral signatures and activation clustering find BadNets poison on a small MNIST run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  activationClustering,
  detectionMetrics,
  representations,
  spectralSignatures,
} from '../../src/defend/index.js';
import { liveTensors } from '../../src/tensor/index.js';
import { mnistParts, poisonedVictim, recipe } from './fixture.js';

const { train } = mnistParts(10000, 0, 0);

// Tran et al. and Chen et al. poison one source class into one target class; the representations
// separate once the victim is trained well (8 epochs of 10,000 images here; after 3 epochs of
// 4,000 they do not, and poison drawn from all nine other classes is much harder: docs/defenses.md).
test('spectral signatures and activation clustering find single-source BadNets poison (7 → 0, 2%)', async () => {
  const { poison, model } = await poisonedVictim(train, 'badnets', { rate: 0.02, targetLabel: 0, sourceLabel: 7 }, recipe({ epochs: 8, batchSize: 128 }));
  const live = liveTensors();
  const features = representations(model, poison.dataset);
  const n = poison.dataset.length;
  const inTarget = poison.dataset.labels.filter((y) => y === 0).length;

  // ρ̂ = the poison's share of its class, as Tran et al.'s ε; they remove 1.5·ε·n_c per class
  const eps = poison.records.length / inTarget;
  const ss = spectralSignatures(poison.dataset, model, { poisonRate: eps, features });
  const mSS = detectionMetrics(ss.flagged, poison.records, n);
  assert.ok(mSS.recall >= 0.8, `spectral signatures recall ${mSS.recall}`);

  const ac = activationClustering(poison.dataset, model, { features, seed: 0 });
  const mAC = detectionMetrics(ac.flagged, poison.records, n);
  assert.ok(mAC.recall >= 0.9, `activation clustering recall ${mAC.recall}`);
  assert.ok(mAC.cleanRemovedRate <= 0.05, `activation clustering removed ${mAC.cleanRemoved} clean samples`);
  assert.ok(ac.classes.find((c) => c.label === 0)!.flagged, 'the target class is the flagged one');
  assert.equal(liveTensors(), live, 'the filters leak no tensor');
  model.dispose();
});
