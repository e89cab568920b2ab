import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { certifiedAccuracyCurve, certifiedAccuracyPlot, poisonRatePlot, radiusHistogramPlot } from '../../src/report/plots.js';
import { cleanTriggeredGrid, exampleGridSvg, imageToPng } from '../../src/report/images.js';
import { assertWellFormed, cert } from './svg.js';

/** The transform of the point mark whose aria-label is exactly `label`. */
const pointAt = (svg: string, label: string) =>
  new RegExp(`aria-label="${label.replace(/[()%]/g, '\\$&')}" role="graphics-symbol" aria-roledescription="point" transform="translate\\(([-\\d.]+),([-\\d.]+)\\)"`).exec(svg)?.slice(1).map(Number);

test('certified accuracy plot: series labels and points at the right pixels', async () => {
  const svg = await certifiedAccuracyPlot(
    [
      { label: 'clean', points: [{ radius: 0, accuracy: 1 }, { radius: 1, accuracy: 0.5 }] },
      { label: 'triggered', points: [{ radius: 0, accuracy: 0.25 }, { radius: 1, accuracy: 0 }] },
    ],
    { width: 200, height: 100, deploymentRadius: 0.25, title: 'smoothing' },
  );
  assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
  assertWellFormed(svg);
  for (const label of ['clean', 'triggered', 'r_d = 0.25', 'certified accuracy', 'radius (L2)']) assert.ok(svg.includes(`>${label}<`), label);
  // Plot area 200 x 100, x in [0, 1], y in [0, 1] with 1 at the top.
  assert.deepEqual(pointAt(svg, 'radius (L2): 0; certified accuracy: 100%; set: clean'), [0, 0]);
  assert.deepEqual(pointAt(svg, 'radius (L2): 1; certified accuracy: 50%; set: clean'), [200, 50]);
  assert.deepEqual(pointAt(svg, 'radius (L2): 0; certified accuracy: 25%; set: triggered'), [0, 75]);
  assert.deepEqual(pointAt(svg, 'radius (L2): 1; certified accuracy: 0%; set: triggered'), [200, 100]);
  assert.match(svg, /aria-label="rd: 0.25"[^>]*transform="translate\(50,0\)"/, 'r_d rule at a quarter of the width');
});

test('certifiedAccuracyCurve counts certificates correct at each radius', () => {
  const certs = [cert(0, 1, 1, 0.5), cert(1, 1, 2, 0.9), cert(2, 3, 'abstain', 0), cert(3, 0, 0, 0.2)];
  assert.deepEqual(certifiedAccuracyCurve(certs, [0.5, 0, 0.2]), [
    { radius: 0, accuracy: 0.5 },
    { radius: 0.2, accuracy: 0.5 },
    { radius: 0.5, accuracy: 0.25 },
  ]);
});

test('radius histogram: abstentions in their own bar, radii binned', async () => {
  const clean = [cert(0, 1, 1, 0.52), cert(1, 1, 1, 0.95), cert(2, 1, 'abstain', 0)];
  const triggered = [cert(0, 1, 'abstain', 0), cert(1, 1, 'abstain', 0), cert(2, 1, 2, 0.15)];
  const svg = await radiusHistogramPlot([{ label: 'clean', certs: clean }, { label: 'triggered', certs: triggered }], { binWidth: 0.1 });
  assertWellFormed(svg);
  const count = (bin: string, set: string) => Number(new RegExp(`radius \\(any class\\): ${bin}; inputs: (\\d+); set: ${set}"`).exec(svg)?.[1]);
  assert.equal(count('abstain', 'clean'), 1);
  assert.equal(count('abstain', 'triggered'), 2);
  assert.equal(count('0.5–0.6', 'clean'), 1);
  assert.equal(count('0.9–1', 'clean'), 1);
  assert.equal(count('0.1–0.2', 'triggered'), 1, 'a wrong-class answer still has a radius');
  assert.equal(count('0.1–0.2', 'clean'), 0);
});

test('poison-rate plot keeps availability and integrity apart', async () => {
  const svg = await poisonRatePlot(
    [{ rate: 0.001, fallbackRate: 0.1, certifiedWrongRate: 0.05 }, { rate: 0.01, fallbackRate: 0.6, certifiedWrongRate: 0.3 }],
    { width: 100, height: 100 },
  );
  assertWellFormed(svg);
  assert.ok(svg.includes('>fallback (availability)<') && svg.includes('>certified wrong (integrity)<'));
  // Log x: 0.1% at the left edge, 1% at the right; y 60% -> 40 px from the top.
  assert.deepEqual(pointAt(svg, 'poison rate: 1.0%; share of triggered inputs: 60%; metric: fallback (availability)'), [100, 40]);
  assert.deepEqual(pointAt(svg, 'poison rate: 0.1%; share of triggered inputs: 5%; metric: certified wrong (integrity)'), [0, 95]);
});

test('imageToPng: pixels land where they were, grey and RGB, scaled up', () => {
  const grey = new Float32Array(4 * 3); // H 4, W 3
  grey[2 * 3 + 1] = 1; // (y 2, x 1) white
  const png = PNG.sync.read(imageToPng({ data: grey, shape: [1, 4, 3] }, 2));
  assert.equal(png.width, 6);
  assert.equal(png.height, 8);
  const at = (x: number, y: number) => Array.from(png.data.subarray(4 * (y * 6 + x), 4 * (y * 6 + x) + 4));
  assert.deepEqual(at(2, 4), [255, 255, 255, 255]);
  assert.deepEqual(at(3, 5), [255, 255, 255, 255]);
  assert.deepEqual(at(0, 0), [0, 0, 0, 255]);
  const rgb = new Float32Array(3 * 1 * 1).fill(0);
  rgb[1] = 0.5; // green channel
  assert.deepEqual(Array.from(PNG.sync.read(imageToPng({ data: rgb, shape: [3, 1, 1] })).data), [0, 128, 0, 255]);
  assert.throws(() => imageToPng({ data: new Float32Array(5), shape: [2, 2] }), /shape must be .* matching 5 values \(got \[2, 2\]\)/);
});

test('example grid: one embedded PNG per example, captions with the answers', () => {
  const img = { data: new Float32Array(16).fill(0.5), shape: [1, 4, 4] };
  const svg = cleanTriggeredGrid([img, img], [img, img], [cert(0, 7, 7, 0.61), cert(1, 2, 2, 0.3)], [cert(0, 7, 'abstain', 0), cert(1, 2, 3, 0.4)], 0.25);
  assertWellFormed(svg);
  assert.equal(svg.match(/href="data:image\/png;base64,/g)?.length, 4);
  for (const s of ['label 7 → 7, r 0.61', 'label 7 → abstain', 'label 2 → 3, r 0.40', '>clean<', '>triggered<', '>fallback<', '>wrong<', '>certified<']) assert.ok(svg.includes(s), s);
  assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(svg), 'nothing external');
  assert.equal(exampleGridSvg([]).includes('<image'), false);
});
