import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availabilityCurves, seedRow, type ReproduceRow } from '../../src/report/reproduce.js';
import { poisonRatePlot } from '../../src/report/plots.js';
import { assertWellFormed } from './svg.js';

const row = (attack: string, certifier: string, rate: number, fallbackRate: number, certifiedWrongRate: number, dataset = 'mnist'): ReproduceRow => ({
  dataset, attack, certifier, rate, cleanCertifiedAccuracy: 0.97, triggeredCertifiedAccuracy: 1 - fallbackRate - certifiedWrongRate, fallbackRate, certifiedWrongRate,
});

test('availability curves: one line per certifier through the cells, only where an attack has several rates', () => {
  const rows = [
    row('uncertainty', 'smoothing σ=0.25', 0.05, 0.2, 0.7),
    row('uncertainty', 'smoothing σ=0.25', 0.001, 0.05, 0.01),
    row('uncertainty', 'smoothing σ=0.25', 0.01, 0.53, 0.32),
    row('uncertainty', 'ibp ε=0.1', 0.01, 0.48, 0.26),
    row('uncertainty', 'ibp ε=0.1', 0.05, 0.55, 0.1),
    row('boundary', 'smoothing σ=0.25', 0.01, 0.32, 0.13), // one rate only: no curve
    row('uncertainty', 'smoothing σ=0.25', 0.01, 0.6, 0.2, 'fashion-mnist'), // one rate on this data set
  ];
  const curves = availabilityCurves(rows);
  assert.deepEqual(curves.map((c) => [c.dataset, c.attack, c.certifier]), [['mnist', 'uncertainty', 'ibp ε=0.1'], ['mnist', 'uncertainty', 'smoothing σ=0.25']]);
  const smoothing = curves[1];
  assert.deepEqual(smoothing.points.map((p) => p.rate), [0.001, 0.01, 0.05], 'by rising rate');
  // Every point is its grid cell's figures, nothing recomputed.
  for (const c of curves) {
    for (const p of c.points) {
      const cell = rows.find((r) => r.dataset === c.dataset && r.attack === c.attack && r.certifier === c.certifier && r.rate === p.rate)!;
      assert.equal(p.fallbackRate, cell.fallbackRate);
      assert.equal(p.certifiedWrongRate, cell.certifiedWrongRate);
    }
  }
  assert.deepEqual(availabilityCurves([row('uncertainty', 'ibp ε=0.1', 0.01, 0.5, 0.2)]), []);
  // With seeds: the means and their spread.
  const seeded = [0.01, 0.05].map((rate) =>
    seedRow({ dataset: 'mnist', attack: 'uncertainty', certifier: 'ibp ε=0.1', rate }, [
      { seed: 1, cleanCertifiedAccuracy: 0.9, triggeredCertifiedAccuracy: 0.2, fallbackRate: 0.4 + rate, certifiedWrongRate: 0.1 },
      { seed: 2, cleanCertifiedAccuracy: 0.9, triggeredCertifiedAccuracy: 0.2, fallbackRate: 0.6 + rate, certifiedWrongRate: 0.3 },
    ]),
  );
  const [withSd] = availabilityCurves(seeded);
  assert.ok(Math.abs(withSd.points[0].fallbackRate - 0.51) < 1e-12);
  assert.ok(Math.abs(withSd.points[0].fallbackSd! - Math.SQRT2 * 0.1) < 1e-12);
  assert.ok(Math.abs(withSd.points[1].certifiedWrongSd! - Math.SQRT2 * 0.1) < 1e-12);
});

test('availability plot: colour per certifier, fallback and certified wrong apart, a panel per attack', async () => {
  const points = [
    { rate: 0.001, fallbackRate: 0.1, certifiedWrongRate: 0.05, series: 'smoothing σ=0.25' },
    { rate: 0.01, fallbackRate: 0.6, certifiedWrongRate: 0.3, series: 'smoothing σ=0.25' },
    { rate: 0.001, fallbackRate: 0.2, certifiedWrongRate: 0.0, series: 'ibp ε=0.1' },
    { rate: 0.01, fallbackRate: 0.4, certifiedWrongRate: 0.1, series: 'ibp ε=0.1' },
  ];
  const svg = await poisonRatePlot(points, { width: 100, height: 100 });
  assertWellFormed(svg);
  const at = (label: string) =>
    new RegExp(`aria-label="${label}" role="graphics-symbol" aria-roledescription="[^"]*" transform="translate\\(([-\\d.]+),([-\\d.]+)\\)"`).exec(svg)?.slice(1).map(Number);
  assert.deepEqual(at('poison rate: 1.0%; share of triggered inputs: 60%; series: smoothing σ=0.25; metric: fallback \\(availability\\)'), [100, 40]);
  assert.deepEqual(at('poison rate: 1.0%; share of triggered inputs: 40%; series: ibp ε=0.1; metric: fallback \\(availability\\)'), [100, 60]);
  assert.deepEqual(at('poison rate: 0.1%; share of triggered inputs: 5%; series: smoothing σ=0.25; metric: certified wrong \\(integrity\\)'), [0, 95]);
  for (const label of ['smoothing σ=0.25', 'ibp ε=0.1', 'fallback (availability)', 'certified wrong (integrity)']) assert.ok(svg.includes(`>${label}<`), label);
  assert.match(svg, /stroke-dasharray="5,3"/, 'certified wrong dashed');
  const paneled = await poisonRatePlot([...points.map((p) => ({ ...p, panel: 'mnist uncertainty' })), ...points.map((p) => ({ ...p, panel: 'mnist boundary' }))], { width: 100, height: 100 });
  assertWellFormed(paneled);
  assert.ok(paneled.includes('>mnist uncertainty<') && paneled.includes('>mnist boundary<'), 'one titled panel per attack');
});
