import { test } from 'node:test';
import assert from 'node:assert/strict';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import { Generator, linear, liveTensors, randn, tensor, tidy, type Tensor } from '../../src/tensor/index.js';
import { Smooth } from '../../src/certify/smoothing.js';
import { binomialTestTwoSided, clopperPearsonLower, normalInverseCdf } from '../../src/certify/stats.js';

// A linear binary classifier f(x) = [w·x + b > 0] on D = 16 features (a multiple of 16, so
// libtorch draws the same noise for one batch of m inputs as for m draws of one input).
const D = 16;
const w = Array.from({ length: D }, (_, i) => Math.sin(i + 1));
const wNorm = Math.hypot(...w);
const b = 0.1;
const W = tensor([new Array(D).fill(0), w]); // logits [0, w·x + b]
const B = tensor([0, b]);
const base = (x: Tensor) => linear(x, W, B);

/** Φ(z), by bisection on @stdlib's normal quantile. */
function Phi(z: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (normalInverseCdf(mid) < z) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** An input whose margin w·x + b equals m (x along w). */
function inputWithMargin(m: number): number[] {
  return w.map((wi) => (wi * (m - b)) / (wNorm * wNorm));
}

/** The true probability that f(x + σε) = class c. */
function trueP(x: number[], sigma: number, c: number): number {
  const m = x.reduce((s, xi, i) => s + xi * w[i], b);
  const p1 = Phi(m / (sigma * wNorm));
  return c === 1 ? p1 : 1 - p1;
}

test('certify: radius = sigma * PhiInv(Clopper-Pearson lower bound of the top count)', () => {
  const sigma = 0.5;
  const x = inputWithMargin(0.6 * sigma * wNorm); // pA = Phi(0.6) ≈ 0.73
  const smooth = new Smooth(base, 2, sigma, { generator: new Generator(1), batchSize: 500 });
  const r = smooth.certify(tensor(x), 100, 4000, 0.001);
  assert.equal(r.prediction, 1);
  assert.equal(r.counts.reduce((a, c) => a + c, 0), 4000);
  assert.equal(r.selectionCounts.reduce((a, c) => a + c, 0), 100);
  assert.equal(r.pALower, clopperPearsonLower(r.counts[1], 4000, 0.001));
  assert.ok(Math.abs(r.radius - sigma * normalInverseCdf(r.pALower)) < 1e-12);
  const pA = trueP(x, sigma, 1);
  assert.ok(r.pALower < pA && r.pALower > pA - 0.05, `pALower ${r.pALower} vs pA ${pA}`);
});

test('certify: the Clopper-Pearson bound exceeds the true pA in about alpha of the runs (exact rate)', () => {
  const sigma = 0.25;
  const runs = 1000;
  const n = 200;
  const alpha = 0.05;
  const x = inputWithMargin(0.8 * sigma * wNorm); // pA = Phi(0.8) ≈ 0.79
  const pA = trueP(x, sigma, 1);
  const images = tensor(Array.from({ length: runs }, () => x));
  const smooth = new Smooth(base, 2, sigma, { generator: new Generator(2024), batchSize: 1000 });
  const certs = smooth.certifyMany(images, new Array(runs).fill(1), { n0: 10, n, alpha });
  images.dispose();
  let failures = 0;
  for (const c of certs) {
    const top = c.counts!.indexOf(Math.max(...c.counts!)); // the selected class may differ; score against its own truth
    const selected = c.prediction === 'abstain' ? top : c.prediction;
    if (c.pALower! > trueP(x, sigma, selected)) failures++;
  }
  // the exact failure probability of a correct bound: P(X >= k*) with k* the smallest count whose
  // bound exceeds pA, X ~ Bin(n, pA)
  let kStar = 0;
  while (clopperPearsonLower(kStar, n, alpha) <= pA) kStar++;
  const q = 1 - binomialCdf(kStar - 1, n, pA);
  assert.ok(q <= alpha && q > alpha / 4, `exact failure rate ${q}`);
  // two-sided test of the failure count against q; a bound at level 2*alpha or alpha/10 fails it
  const lowTail = binomialCdf(failures, runs, q);
  const highTail = 1 - binomialCdf(failures - 1, runs, q);
  assert.ok(Math.min(lowTail, highTail) > 1e-6, `${failures} failures in ${runs} runs, expected ${(q * runs).toFixed(1)}`);
  assert.ok(failures <= runs * alpha + 4 * Math.sqrt(runs * alpha), `${failures} failures exceed alpha = ${alpha}`);
});

test('predict abstains on the decision boundary and answers far from it', () => {
  const sigma = 0.5;
  const runs = 200;
  const alpha = 0.05;
  const onBoundary = inputWithMargin(0);
  const smooth = new Smooth(base, 2, sigma, { generator: new Generator(3), batchSize: 1000 });
  const images = tensor(Array.from({ length: runs }, () => onBoundary));
  const preds = smooth.predictMany(images, { n: 100, alpha });
  images.dispose();
  const answered = preds.filter((p) => p.prediction !== 'abstain').length;
  // pA = 1/2 exactly: the test rejects (and answers) with probability <= alpha
  assert.ok(1 - binomialCdf(answered - 1, runs, alpha) > 1e-6, `answered ${answered} of ${runs} on the boundary`);
  for (const p of preds) {
    assert.equal(p.pValue, binomialTestTwoSided(Math.max(...p.counts), 100));
    assert.equal(p.prediction === 'abstain', p.pValue > alpha);
  }
  const far = tensor(inputWithMargin(-3 * sigma * wNorm));
  assert.equal(smooth.predict(far, 100, alpha), 0);
  const r = smooth.certify(tensor(onBoundary), 50, 200, 0.001);
  assert.equal(r.prediction, 'abstain');
  assert.equal(r.radius, 0);
});

test('same generator seed gives identical counts; another seed gives other counts', () => {
  const x = tensor(inputWithMargin(0.3));
  const run = (seed: number) => new Smooth(base, 2, 0.5, { generator: new Generator(seed), batchSize: 64 }).certify(x, 20, 500, 0.01);
  const a = run(11);
  const b2 = run(11);
  const c = run(12);
  assert.deepEqual(a.counts, b2.counts);
  assert.deepEqual(a.selectionCounts, b2.selectionCounts);
  assert.notDeepEqual([a.counts, a.selectionCounts], [c.counts, c.selectionCounts]);
});

test('certifyMany packs full batches and equals certify on each input in turn', () => {
  const xs = [-1.5, -0.2, 0, 0.1, 0.4, 2].map((m) => inputWithMargin(m));
  const labels = [0, 0, 1, 1, 1, 1];
  const seen: number[] = [];
  const recording = (x: Tensor) => {
    seen.push(x.shape[0]);
    return base(x);
  };
  const one = new Smooth(base, 2, 0.5, { generator: new Generator(5), batchSize: 37 });
  const expected = xs.map((x) => one.certify(tensor(x), 20, 150, 0.01));
  const many = new Smooth(recording, 2, 0.5, { generator: new Generator(5), batchSize: 64 });
  const progress: number[] = [];
  const images = tensor(xs);
  const certs = many.certifyMany(images, labels, { n0: 20, n: 150, alpha: 0.01, onProgress: (d, t) => { assert.equal(t, 6); progress.push(d); } });
  images.dispose();
  // 6 * 170 = 1020 samples: 15 full batches of 64 and one of 60
  assert.deepEqual(seen, [...new Array(15).fill(64), 60]);
  assert.equal(progress[progress.length - 1], 6);
  assert.ok(progress.every((d, i) => i === 0 || d >= progress[i - 1]));
  certs.forEach((c, i) => {
    assert.equal(c.index, i);
    assert.equal(c.label, labels[i]);
    assert.equal(c.norm, 'l2');
    assert.equal(c.certifier, 'smoothing');
    assert.deepEqual(c.counts, expected[i].counts);
    assert.equal(c.prediction, expected[i].prediction);
    assert.equal(c.pALower, expected[i].pALower);
    assert.equal(c.radius, expected[i].radius);
    assert.equal(c.vouched, c.prediction !== 'abstain' && c.radius > 0);
    assert.equal(c.correct, c.prediction === labels[i]);
    assert.ok(c.seconds! >= 0);
  });
  assert.ok(certs.some((c) => c.prediction === 'abstain') && certs.some((c) => c.vouched && c.correct));
});

test('certification loops free every tensor they create', () => {
  const smooth = new Smooth(base, 2, 0.25, { generator: new Generator(9), batchSize: 100 });
  const images = tensor([inputWithMargin(0.2), inputWithMargin(-0.5), inputWithMargin(1)]);
  const x = tensor(inputWithMargin(0.2));
  smooth.certify(x, 10, 100, 0.01); // warm up
  const before = liveTensors();
  smooth.certifyMany(images, [1, 0, 1], { n0: 30, n: 1000, alpha: 0.001 });
  smooth.predictMany(images, { n: 300, alpha: 0.001 });
  smooth.certify(x, 10, 500, 0.01);
  smooth.predict(x, 500, 0.01);
  assert.equal(liveTensors(), before);
  assert.throws(() => smooth.certifyMany(images, [1, 0, 1], { n0: 1, n: 10, alpha: 0.1, batchSize: 7, onProgress: () => { throw new Error('stop'); } }), /stop/);
  assert.equal(liveTensors(), before);
  images.dispose();
  x.dispose();
});

test('parameters are validated with clear errors', () => {
  const g = new Generator(0);
  const x = tensor(inputWithMargin(0));
  assert.throws(() => new Smooth(base, 2, 0, { generator: g }), /smoothing: sigma 0 must be finite and > 0/);
  assert.throws(() => new Smooth(base, 2, 0.5, { generator: g, batchSize: 0 }), /smoothing: batchSize 0 must be an integer >= 1/);
  assert.throws(() => new Smooth(base, 1, 0.5, { generator: g }), /numClasses 1/);
  const s = new Smooth(base, 2, 0.5, { generator: g });
  assert.throws(() => s.certify(x, 0, 100, 0.01), /smoothing: n0 0 must be an integer >= 1/);
  assert.throws(() => s.certify(x, 10, 0, 0.01), /smoothing: n 0 must be an integer >= 1/);
  assert.throws(() => s.certify(x, 10, 100, 1.5), /smoothing: alpha 1\.5 is outside \(0, 1\)/);
  assert.throws(() => s.predict(x, 100, 0), /alpha 0 is outside/);
  const bad = new Smooth((t: Tensor) => linear(t, W.slice(0, 0, 1)), 2, 0.5, { generator: g });
  assert.throws(() => bad.predict(x, 10, 0.1), /base classifier returned shape \[10, 1\], expected \[10, 2\]/);
});

test('the reused noise buffer draws exactly randn(...)·σ from the same generator, batch after batch', () => {
  // Sampling fills one buffer in place with normal_(0, σ); that must be the very noise that
  // randn(shape)·σ gives, so a seed means the same certificates as before the buffer was reused.
  const sigma = 0.37;
  const seen: number[][] = [];
  const probe = (x: Tensor) => {
    seen.push(Array.from(x.toFloat32Array()));
    return tensor(new Float32Array(x.shape[0] * 2), [x.shape[0], 2]);
  };
  const zero = tensor(new Float32Array(2 * D), [2, D]);
  new Smooth(probe, 2, sigma, { generator: new Generator(21), batchSize: 8 }).certifyMany(zero, [0, 0], { n0: 4, n: 10, alpha: 0.1 });
  const g = new Generator(21);
  const expected: number[][] = [8, 8, 8, 4].map((rows) => Array.from(randnTimes(g, [rows, D], sigma)));
  assert.deepEqual(seen, expected);
});

function randnTimes(g: Generator, shape: number[], s: number): Float32Array {
  return tidy(() => randn(shape, { generator: g }).mul(s).toFloat32Array());
}
