import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate } from '../../src/certify/certificate.js';
import { radiusKey, setMetrics, summarizeCertifier } from '../../src/pipeline/metrics.js';
import { fallbackLoad, systemLoad } from '../../src/pipeline/system.js';

const cert = (label: number, prediction: number | 'abstain', radius: number): Certificate => ({
  index: 0,
  label,
  prediction,
  radius,
  norm: 'l2',
  datasetIndex: 0,
  vouched: prediction !== 'abstain' && radius > 0,
  correct: prediction === label,
  certifier: 'smoothing',
});

// Six inputs, r_d = 0.25, worked out by hand:
//   a: right, r 0.5   -> certified at 0, 0.25, 0.5
//   b: right, r 0.25  -> certified at r_d exactly (>= counts)
//   c: abstain        -> fallback
//   d: wrong, r 0.3   -> certified wrong at r_d (integrity), never certified-accurate
//   e: right, r 0.1   -> fallback at r_d (radius too small), certified at 0
//   f: wrong, r 0.1   -> fallback at r_d (a wrong class below r_d is no answer either)
const six = [cert(0, 0, 0.5), cert(1, 1, 0.25), cert(2, 'abstain', 0), cert(3, 5, 0.3), cert(4, 4, 0.1), cert(5, 7, 0.1)];
const opts = { radii: [0, 0.25, 0.5], deploymentRadius: 0.25 };

test('setMetrics on a hand-built list', () => {
  const m = setMetrics(six, opts);
  assert.equal(m.n, 6);
  assert.deepEqual(m.certifiedAccuracy, { '0': 3 / 6, '0.25': 2 / 6, '0.5': 1 / 6 });
  assert.equal(m.abstainRate, 1 / 6);
  assert.equal(m.fallbackRate, 3 / 6);
  assert.equal(m.certifiedWrongRate, 1 / 6);
  assert.ok(Math.abs(m.averageRadius - (0.5 + 0.25 + 0.1) / 6) < 1e-12);
  assert.equal(m.accuracy, 3 / 6);
  assert.equal(m.accuracyFrom, 'certifier');
});

test('at r_d each input is exactly one of certified, certified wrong, fallback', () => {
  const m = setMetrics(six, opts);
  assert.ok(Math.abs(m.certifiedAccuracy['0.25'] + m.certifiedWrongRate + m.fallbackRate - 1) < 1e-12);
});

test('accuracy uses the plain model predictions when given', () => {
  const m = setMetrics(six, { ...opts, predictions: [0, 1, 2, 3, 0, 5] });
  assert.equal(m.accuracy, 5 / 6);
  assert.equal(m.accuracyFrom, 'model');
  assert.throws(() => setMetrics(six, { ...opts, predictions: [0, 1] }), /predictions has 2 entries, expected one per certificate \(6\)/);
});

test('all abstain: everything goes to the fallback', () => {
  const m = setMetrics([cert(0, 'abstain', 0), cert(1, 'abstain', 0)], opts);
  assert.equal(m.abstainRate, 1);
  assert.equal(m.fallbackRate, 1);
  assert.equal(m.certifiedWrongRate, 0);
  assert.equal(m.averageRadius, 0);
  assert.equal(m.accuracy, 0);
  assert.deepEqual(Object.values(m.certifiedAccuracy), [0, 0, 0]);
});

test('an empty set gives zeros, not NaN', () => {
  const m = setMetrics([], opts);
  assert.equal(m.fallbackRate, 0);
  assert.equal(m.averageRadius, 0);
});

test('radius keys carry no float noise and r_d is always a key', () => {
  assert.equal(radiusKey(0.1 + 0.2), '0.3');
  assert.equal(radiusKey(1), '1');
  const m = setMetrics(six, { radii: [0.5], deploymentRadius: 0.25 });
  assert.deepEqual(Object.keys(m.certifiedAccuracy), ['0.25', '0.5']);
});

test('summarizeCertifier: attack effect in points and the system mixture', () => {
  const triggered = six.map(() => cert(0, 'abstain', 0));
  const s = summarizeCertifier({
    certifier: 'smoothing',
    norm: 'l2',
    clean: six,
    triggered,
    radii: [0, 0.25],
    deploymentRadius: 0.25,
    triggerShares: [0, 0.5, 1],
    costPerRequest: 2,
  });
  assert.equal(s.baseline, null);
  assert.equal(s.deploymentRadius, 0.25);
  assert.ok(Math.abs(s.attackEffect - 100 * (2 / 6)) < 1e-4); // 33.33 points: 2/6 certified clean, none triggered
  // q 0: clean fallback 3/6 -> 500 per 1000; q 0.5: (0.5 * 0.5 + 0.5 * 1) -> 750; q 1: 1000. Cost 2 per call.
  assert.deepEqual(s.system.map((r) => r.fallbackPer1000), [500, 750, 1000]);
  assert.deepEqual(s.system.map((r) => r.costPer1000), [1000, 1500, 2000]);
  assert.ok(Math.abs(s.system[1].wrongPer1000 - 1000 * 0.5 * (1 / 6)) < 1e-3);
  assert.equal(s.system[2].wrongPer1000, 0);
});

test('summarizeCertifier with a baseline', () => {
  const s = summarizeCertifier({
    certifier: 'ibp', norm: 'linf', clean: six, triggered: six, baseline: [cert(0, 0, 0.25)],
    radii: [0.25], deploymentRadius: 0.25, triggerShares: [0], costPerRequest: 1,
  });
  assert.equal(s.baseline?.certifiedAccuracy['0.25'], 1);
  assert.equal(s.attackEffect, 0);
});

test('fallbackLoad rejects a share outside [0, 1]', () => {
  const r = { fallbackRate: 0.1, certifiedWrongRate: 0 };
  assert.equal(fallbackLoad(r, { fallbackRate: 0.9, certifiedWrongRate: 0 }, 0.25), 0.75 * 0.1 + 0.25 * 0.9);
  assert.throws(() => fallbackLoad(r, r, 1.5), /q must be in \[0, 1\] \(got 1.5\)/);
  assert.deepEqual(systemLoad(r, r, [], 1), []);
});
