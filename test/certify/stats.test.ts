import { test } from 'node:test';
import assert from 'node:assert/strict';
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import {
  binomialTestTwoSided,
  clopperPearsonInterval,
  clopperPearsonLower,
  clopperPearsonUpper,
  normalInverseCdf,
} from '../../src/certify/stats.js';

/** The p in [0, 1] where the decreasing function g crosses 0, by bisection. */
function root(g: (p: number) => number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (g(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const cases: Array<[number, number, number]> = [
  [1, 10, 0.05],
  [7, 10, 0.05],
  [90, 100, 0.001],
  [150, 200, 0.05],
  [9990, 10000, 0.001],
  [500, 1000, 0.01],
];

test('Clopper-Pearson lower bound p solves P(X >= k | p) = alpha (binomial cdf, by bisection)', () => {
  for (const [k, n, alpha] of cases) {
    // P(X >= k | p) = 1 - F(k - 1) increases with p; the lower bound is where it equals alpha
    const expected = root((p) => alpha - (1 - binomialCdf(k - 1, n, p)));
    const got = clopperPearsonLower(k, n, alpha);
    assert.ok(Math.abs(got - expected) < 1e-7, `k=${k} n=${n} alpha=${alpha}: ${got} vs ${expected}`);
  }
});

test('Clopper-Pearson upper bound p solves P(X <= k | p) = alpha', () => {
  for (const [k, n, alpha] of cases) {
    const expected = root((p) => binomialCdf(k, n, p) - alpha);
    const got = clopperPearsonUpper(k, n, alpha);
    assert.ok(Math.abs(got - expected) < 1e-7, `k=${k} n=${n}: ${got} vs ${expected}`);
  }
});

test('Clopper-Pearson edge cases k = 0 and k = n have closed forms', () => {
  for (const [n, alpha] of [[10, 0.05], [1000, 0.001], [1, 0.3]] as const) {
    assert.equal(clopperPearsonLower(0, n, alpha), 0);
    assert.equal(clopperPearsonUpper(n, n, alpha), 1);
    // k = n: P(X >= n | p) = p^n = alpha  =>  p = alpha^(1/n)
    assert.ok(Math.abs(clopperPearsonLower(n, n, alpha) - alpha ** (1 / n)) < 1e-12);
    // k = 0: P(X <= 0 | p) = (1-p)^n = alpha  =>  p = 1 - alpha^(1/n)
    assert.ok(Math.abs(clopperPearsonUpper(0, n, alpha) - (1 - alpha ** (1 / n))) < 1e-12);
  }
});

test('two-sided interval uses alpha/2 on each side and contains k/n', () => {
  const [lo, hi] = clopperPearsonInterval(30, 100, 0.05);
  assert.equal(lo, clopperPearsonLower(30, 100, 0.025));
  assert.equal(hi, clopperPearsonUpper(30, 100, 0.025));
  assert.ok(lo < 0.3 && 0.3 < hi);
  // statsmodels proportion_confint(30, 100, method="beta"): (0.2124, 0.3998)
  assert.ok(Math.abs(lo - 0.21240) < 1e-4 && Math.abs(hi - 0.39981) < 1e-4, `${lo} ${hi}`);
});

test('two-sided binomial test matches exact values', () => {
  assert.equal(binomialTestTwoSided(5, 10), 1);
  assert.ok(Math.abs(binomialTestTwoSided(7, 10) - 0.34375) < 1e-12);
  assert.ok(Math.abs(binomialTestTwoSided(3, 10) - 0.34375) < 1e-12);
  assert.ok(Math.abs(binomialTestTwoSided(10, 10) - 2 / 1024) < 1e-15);
  assert.ok(Math.abs(binomialTestTwoSided(0, 10) - 2 / 1024) < 1e-15);
  // 60 of 100: scipy.stats.binomtest(60, 100).pvalue = 0.056887...
  assert.ok(Math.abs(binomialTestTwoSided(60, 100) - 0.0568879) < 1e-6, `${binomialTestTwoSided(60, 100)}`);
  assert.equal(binomialTestTwoSided(1, 1), 1);
});

test('normal quantile and clear errors', () => {
  assert.ok(Math.abs(normalInverseCdf(0.975) - 1.959963984540054) < 1e-12);
  assert.throws(() => clopperPearsonLower(3, 10, 1.5), /alpha 1\.5 is outside \(0, 1\)/);
  assert.throws(() => clopperPearsonLower(11, 10, 0.05), /k 11 is outside/);
  assert.throws(() => clopperPearsonLower(0, 0, 0.05), /n 0 must be an integer >= 1/);
  assert.throws(() => binomialTestTwoSided(2.5, 10), /k 2\.5/);
});
