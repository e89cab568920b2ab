// The defenses' small pieces, checked against hand computations: detection metrics, refusals as
// fallbacks, STRIP's conformal thresholds, the anomaly index, silhouettes, occlusion, DPA's
// partition hash and the adaptive attack samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSynthetic } from '../../src/data/index.js';
import { setMetrics } from '../../src/pipeline/metrics.js';
import type { Certificate } from '../../src/certify/certificate.js';
import { addAdaptiveSamples, type TriggerSpec } from '../../src/poison/index.js';
import { runAttack } from '../poison/engines.js';
import {
  anomalyIndices, detectionMetrics, meanSilhouette, occlude, partitionOf, rejectionRates, stripThresholds, withRefusals,
} from '../../src/defend/index.js';

test('detectionMetrics: precision, recall and clean removals against poison records', () => {
  const m = detectionMetrics([1, 4, 7, 9], [{ index: 4 }, { index: 9 }, { index: 2 }], 10);
  assert.deepEqual(
    { tp: m.truePositives, p: m.precision, r: m.recall, removed: m.cleanRemoved, rate: m.cleanRemovedRate },
    { tp: 2, p: 0.5, r: 2 / 3, removed: 2, rate: 2 / 7 },
  );
  assert.equal(detectionMetrics([], [{ index: 0 }], 3).precision, 1);
  assert.throws(() => detectionMetrics([3], [], 3), /outside/);
  assert.throws(() => detectionMetrics([1, 1], [], 3), /twice/);
});

test('withRefusals: a refused input is a fallback, never a certificate', () => {
  const c = (label: number, prediction: number | 'abstain', radius: number): Certificate =>
    ({ index: 0, datasetIndex: 0, label, prediction, radius, norm: 'l2', vouched: prediction !== 'abstain' && radius > 0, correct: prediction === label, certifier: 'smoothing' });
  const certs = [c(1, 1, 0.5), c(2, 3, 0.5), c(0, 0, 0.5), c(4, 'abstain', 0)];
  const before = setMetrics(certs, { radii: [0.25], deploymentRadius: 0.25 });
  const after = setMetrics(withRefusals(certs, [false, true, true, false]), { radii: [0.25], deploymentRadius: 0.25 });
  assert.equal(before.certifiedWrongRate, 0.25);
  assert.equal(after.certifiedWrongRate, 0);
  assert.equal(after.fallbackRate, 0.75);
  assert.equal(after.certifiedAccuracy['0.25'], 0.25);
  assert.deepEqual(rejectionRates([true, false, false, false], [true, true]), { trueRejectionRate: 1, falseRejectionRate: 0.25 });
  assert.throws(() => withRefusals(certs, [true]), /refusal flags/);
});

test('STRIP thresholds: conformal ranks give an expected false-rejection rate in [α − 1/(n+1), α]', () => {
  const cal = Array.from({ length: 999 }, (_, i) => i + 1); // 1..999
  // both tails at α = 0.01: k = ⌊1000 · 0.005⌋ = 5 per tail
  assert.deepEqual(stripThresholds(cal, 0.01, 'both'), { low: 5, high: 995 });
  assert.deepEqual(stripThresholds(cal, 0.01, 'low'), { low: 10, high: Infinity });
  // exchangeability: a fresh score is uniform over the n+1 ranks, so P(refused) = 2k/(n+1)
  let seed = 1;
  const u = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  let refused = 0;
  const trials = 4000;
  for (let t = 0; t < trials; t++) {
    const xs = Array.from({ length: 199 }, u);
    const th = stripThresholds(xs, 0.05, 'both'); // k = 5 per tail: 10/200 = 0.05
    const x = u();
    if (x < th.low || x > th.high) refused++;
  }
  const rate = refused / trials; // sd ≈ 0.0034
  assert.ok(rate > 0.04 && rate < 0.06, `rate ${rate}`);
  assert.throws(() => stripThresholds([1, 2, 3], 0.01, 'both'), /cannot set/);
});

test('anomaly index (Wang et al.): (median − norm) / (1.4826 · MAD)', () => {
  const idx = anomalyIndices([10, 50, 60, 70, 80]);
  // median 60, deviations 50, 10, 0, 10, 20 → MAD 10
  assert.ok(Math.abs(idx[0] - 50 / 14.826) < 1e-12);
  assert.ok(Math.abs(idx[4] + 20 / 14.826) < 1e-12);
});

test('meanSilhouette: two tight far-apart clusters score near 1, one blob split in two scores low', () => {
  const pts = [[0, 0], [0, 1], [1, 0], [100, 100], [100, 101], [101, 100]];
  assert.ok(meanSilhouette(pts, [0, 0, 0, 1, 1, 1]) > 0.95);
  const line = Array.from({ length: 40 }, (_, i) => [i, 0]);
  const s = meanSilhouette(line, line.map((_, i) => (i % 2)));
  assert.ok(s < 0.1, `interleaved split ${s}`);
});

test('occlude: sets the window to the fill and nothing else', () => {
  const img = new Float32Array(2 * 4 * 4).fill(1);
  const out = occlude(img, [1, 4, 4], { x: 2, y: 1, size: 2 }, new Float32Array(16).fill(0.25));
  for (let i = 0; i < 32; i++) {
    const j = i % 16;
    const inside = Math.floor(j / 4) >= 1 && Math.floor(j / 4) < 3 && j % 4 >= 2;
    assert.equal(out[i], inside ? 0.25 : 1);
  }
});

test('DPA partitions depend on a sample alone: appending samples never moves the others', () => {
  const a = makeSynthetic({ n: 300, shape: [1, 8, 8], seed: 2 });
  const b = makeSynthetic({ n: 20, shape: [1, 8, 8], seed: 3 });
  const pa = partitionOf(a, 7);
  const both = partitionOf(a.with({ images: Float32Array.from([...a.images, ...b.images]), labels: Int32Array.from([...a.labels, ...b.labels]) }), 7);
  assert.deepEqual(Array.from(both.subarray(0, 300)), Array.from(pa));
  const counts = new Array(7).fill(0);
  pa.forEach((p) => counts[p]++);
  assert.ok(Math.min(...counts) >= 20, `hash spreads samples: ${counts}`); // 300/7 ≈ 43 each
  // a changed label moves the sample's hash
  const flipped = a.with({ labels: Int32Array.from(a.labels, (y, i) => (i === 0 ? (y + 1) % 10 : y)) });
  assert.notDeepEqual(Array.from(partitionOf(flipped, 1000).subarray(0, 1)), Array.from(partitionOf(a, 1000).subarray(0, 1)));
});

test('adaptive samples: appended, recorded, built as documented', () => {
  const clean = makeSynthetic({ n: 400, shape: [1, 8, 8], seed: 4 });
  const trigger: TriggerSpec = { kind: 'patch', size: 2, content: { kind: 'solid', value: 1 } };
  const base = runAttack('badnets', clean, { rate: 0.05, trigger, seed: 1 });
  for (const kind of ['cover', 'strip-cover', 'decoy'] as const) {
    const r = addAdaptiveSamples(clean, base, { kind, rate: 0.025, seed: 2 });
    assert.equal(r.dataset.length, 420 + 10);
    const extra = r.records.slice(20);
    assert.equal(extra.length, 10);
    assert.deepEqual(extra.map((x) => x.index), Array.from({ length: 10 }, (_, j) => 420 + j));
    for (const x of extra) {
      assert.equal(x.kind, kind);
      const img = r.dataset.image(x.index);
      const src = clean.image(x.source);
      if (kind === 'cover') {
        assert.equal(x.label, x.sourceLabel);
        assert.equal(img[63], 1); // the bottom-right patch
      } else if (kind === 'decoy') {
        assert.notEqual(x.label, x.sourceLabel);
        assert.deepEqual(Array.from(img), Array.from(src));
      } else {
        const soft = r.dataset.softLabels!.subarray(x.index * 10, x.index * 10 + 10);
        assert.ok(Math.abs(soft.reduce((p, q) => p + q, 0) - 1) < 1e-6);
        assert.ok(soft[x.sourceLabel] >= 0.5 - 1e-6);
        assert.ok(img.every((v, q) => v >= Math.min(1, q === 63 ? 1 : src[q]) - 1e-6), 'superposition of the triggered source');
      }
    }
  }
  assert.throws(() => addAdaptiveSamples(clean, runAttack('badnets', clean, { rate: 0.05, trigger, mode: 'replace' }), { kind: 'cover', rate: 0.01 }), /mode add/);
});
