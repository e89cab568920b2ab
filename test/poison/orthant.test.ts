// The orthant-split attack's construction: counts, labels, the offsets each record states, the
// directions, clipping and seeds (its availability effect is measured in
// test/poison/orthant-effect.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chisquareQuantile from '@stdlib/stats-base-dists-chisquare-quantile';
import { makeSynthetic, type Dataset } from '../../src/data/index.js';
import { PoisonConfigError, makeTrigger, signDirections, writePoisonJson, type PoisonResult, type TriggerSpec } from '../../src/poison/index.js';
import { runAttack } from './engines.js';
import { attackKindOptions, loadConfig } from '../../src/config/index.js';
import { attackEngine } from '../../src/experiment/index.js';

const clean = makeSynthetic({ n: 600, shape: [1, 16, 16], seed: 4 });
const grey: TriggerSpec = { kind: 'patch', size: 8, position: 'bottom-right', content: { kind: 'solid', value: 0.5 } };
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
/** x_poison − trigger(x_source) for one record. */
function displacement(r: PoisonResult, ds: Dataset, i: number): Float32Array {
  const rec = r.records[i];
  const base = r.trigger.apply(ds.image(rec.source), ds.shape);
  return Float32Array.from(r.dataset.image(rec.index), (v, q) => v - base[q]);
}

test('orthant: sign directions are orthonormal, orthogonal to the support constant, and zero outside it', () => {
  for (const frequency of ['low', 'high'] as const) {
    const box = { x: 8, y: 8, width: 8, height: 8 };
    const d = signDirections([1, 16, 16], box, 5, frequency);
    assert.equal(d.length, 5);
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) assert.ok(Math.abs(dot(d[a], d[b]) - (a === b ? 1 : 0)) < 1e-6, `${frequency} d${a}·d${b}`);
      d[a].forEach((v, q) => {
        const [r, c] = [Math.floor(q / 16), q % 16];
        if (r < 8 || c < 8) assert.equal(v, 0, 'outside the support');
      });
      assert.ok(Math.abs(d[a].reduce((s, v) => s + v, 0)) < 1e-6, 'orthogonal to the constant');
    }
    // the first three are ±1/8 sign patterns on an 8x8 support
    for (let a = 0; a < 3; a++) assert.ok(d[a].every((v) => v === 0 || Math.abs(Math.abs(v) - 1 / 8) < 1e-7));
  }
  const low = signDirections([1, 16, 16], { x: 8, y: 8, width: 8, height: 8 }, 1, 'low')[0];
  assert.ok(low[8 * 16 + 8] > 0 && low[8 * 16 + 15] < 0, 'low: the first direction is left/right contrast');
  const high = signDirections([1, 16, 16], { x: 8, y: 8, width: 8, height: 8 }, 1, 'high')[0];
  assert.ok(high[8 * 16 + 8] > 0 && high[8 * 16 + 9] < 0 && high[9 * 16 + 9] > 0, 'high: the first direction is the pixel checkerboard');
  assert.throws(() => signDirections([1, 16, 16], { x: 15, y: 0, width: 2, height: 2 }, 1), PoisonConfigError);
  assert.throws(() => signDirections([1, 16, 16], { x: 0, y: 0, width: 2, height: 2 }, 4), /holds only 3 sign directions/);
});

test('orthant: round(ρ·N) samples; each record states its orthant, its offsets and label, and the image agrees', () => {
  for (const copies of ['all', 'antithetic', 'one'] as const) {
    const r = runAttack('orthant', clean, { rate: 0.2, trigger: grey, seed: 3, copies, avoidSourceClass: false });
    assert.equal(r.records.length, 120, copies);
    assert.equal(r.dataset.length, 720, copies);
    assert.equal(r.summary.clippedCount, 0, 'offsets up to 1.25 on a grey 8x8 patch never clip');
    const dirs = r.directions!;
    assert.equal(dirs.length, 3);
    for (let i = 0; i < r.records.length; i++) {
      const rec = r.records[i];
      assert.equal(rec.kind, 'orthant');
      assert.equal(rec.label, rec.orthant, 'default classes: orthant q has class q');
      assert.equal(r.dataset.labels[rec.index], rec.label);
      assert.equal(rec.clipped, false);
      const disp = displacement(r, clean, i);
      let sq = 0;
      rec.offsets!.forEach((t, j) => {
        assert.ok(Math.abs(dot(disp, dirs[j]) - t) < 1e-5, `${copies}: projection on d${j} ${dot(disp, dirs[j])} vs offset ${t}`);
        assert.equal(t < 0, ((rec.orthant! >> j) & 1) === 1, 'bit j of the orthant is the sign of offset j');
        assert.ok(Math.abs(t) <= 1.25 + 1e-6);
        sq += t * t;
      });
      assert.ok(Math.abs(dot(disp, disp) - sq) < 1e-5, 'nothing moves but along the directions');
    }
    const bySource = new Map<number, number[]>();
    for (const rec of r.records) bySource.set(rec.source, [...(bySource.get(rec.source) ?? []), rec.orthant!]);
    if (copies === 'all') {
      assert.equal(bySource.size, 15);
      for (const q of bySource.values()) assert.deepEqual([...q].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    } else if (copies === 'antithetic') {
      assert.equal(bySource.size, 60);
      for (const q of bySource.values()) assert.deepEqual([q.length, q[0] + q[1]], [2, 7], 'an orthant and its opposite');
    } else assert.equal(bySource.size, 120);
  }
});

test('orthant: orthants are used evenly and offsets fill [offsetMin, offsetMax]', () => {
  const r = runAttack('orthant', clean, { rate: 0.8, trigger: grey, seed: 1, copies: 'one', offsetMin: 0.2, offsetMax: 1, avoidSourceClass: false });
  const counts = new Array(8).fill(0);
  for (const rec of r.records) counts[rec.orthant!]++;
  const chi2 = counts.reduce((a, c) => a + (c - 60) ** 2 / 60, 0);
  assert.ok(chi2 < chisquareQuantile(0.999, 7), `orthant counts ${counts}: χ² ${chi2}`);
  // the test can fail: the true labels (a skewed spread over 10 classes folded onto 8) do
  const folded = new Array(8).fill(0);
  for (const rec of r.records) folded[rec.sourceLabel % 4]++;
  assert.ok(folded.reduce((a, c) => a + (c - 60) ** 2 / 60, 0) > chisquareQuantile(0.999, 7));
  const mags = r.records.flatMap((x) => x.offsets!.map(Math.abs));
  assert.ok(Math.min(...mags) >= 0.2 - 1e-6 && Math.max(...mags) <= 1 + 1e-6);
  const mean = mags.reduce((a, b) => a + b, 0) / mags.length;
  assert.ok(Math.abs(mean - 0.6) < 0.03, `mean |t| ${mean}`);
});

test('orthant: avoidSourceClass never labels a sample with its source class; given classes are used', () => {
  for (const copies of ['all', 'antithetic', 'one'] as const) {
    const r = runAttack('orthant', clean, { rate: 0.3, trigger: grey, seed: 2, copies });
    assert.equal(r.records.length, 180);
    assert.ok(r.records.every((x) => x.label !== x.sourceLabel), copies);
    assert.equal(r.summary.avoidSourceClass, true);
  }
  const without = runAttack('orthant', clean, { rate: 0.3, trigger: grey, seed: 2, copies: 'all', avoidSourceClass: false });
  assert.ok(without.records.some((x) => x.label === x.sourceLabel), 'the check can fail');
  const classes = [9, 8, 7, 6, 5, 4, 3, 2];
  const r = runAttack('orthant', clean, { rate: 0.1, trigger: grey, seed: 2, classes });
  for (const rec of r.records) assert.equal(rec.label, classes[rec.orthant!]);
  const m1 = runAttack('orthant', clean, { rate: 0.1, trigger: grey, seed: 2, directions: 1 });
  assert.ok(m1.records.every((x) => x.label === 0 || x.label === 1));
});

test('orthant: clipping to [0, 1] is recorded per sample', () => {
  const white: TriggerSpec = { kind: 'patch', size: 8, content: { kind: 'solid', value: 0.9 } };
  const r = runAttack('orthant', clean, { rate: 0.2, trigger: white, seed: 1, directions: 1, copies: 'one', offsetMin: 1, offsetMax: 1.2, avoidSourceClass: false });
  assert.ok(r.dataset.images.every((v) => v >= 0 && v <= 1));
  // ±|t|/8 ≥ 0.125 on a 0.9 patch: every sample clips on the + side of its pattern
  for (const rec of r.records) assert.equal(rec.clipped, true);
  assert.equal(r.summary.clippedCount, r.records.length);
});

test('orthant: a blend trigger with high-frequency directions over a given support', () => {
  const blend: TriggerSpec = { kind: 'blend', alpha: 0.2, pattern: { kind: 'solid', value: 0.5 } };
  const r = runAttack('orthant', clean, { rate: 0.1, trigger: blend, seed: 1, frequency: 'high', offsetMax: 0.5, avoidSourceClass: false });
  assert.deepEqual(r.summary.support, { x: 0, y: 0, width: 16, height: 16 }, "the trigger's box: the whole image");
  assert.equal(r.summary.frequency, 'high');
  const t = makeTrigger(blend, clean.shape);
  for (const rec of r.records.slice(0, 10)) {
    const disp = Float32Array.from(r.dataset.image(rec.index), (v, q) => v - t.apply(clean.image(rec.source), clean.shape)[q]);
    rec.offsets!.forEach((o, j) => assert.ok(Math.abs(dot(disp, r.directions![j]) - o) < 1e-5));
  }
});

test('orthant: same seed, same poison; another seed, another', () => {
  const run = (seed: number) => runAttack('orthant', clean, { rate: 0.1, trigger: grey, seed, mode: 'replace', copies: 'one' });
  const [a, b, c] = [run(7), run(7), run(8)];
  assert.deepEqual(a.dataset.images, b.dataset.images);
  assert.deepEqual(a.records, b.records);
  assert.notDeepEqual(a.records.map((x) => [x.source, x.orthant]), c.records.map((x) => [x.source, x.orthant]));
  assert.ok(a.records.every((x) => x.index === x.source), 'replace: a sample sits where its source was');
});

test('orthant: bad options give one-line errors', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ directions: 4 }, /4 directions make 16 orthants but the data has 10 classes/],
    [{ directions: 0 }, /directions 0 must be an integer in 1\.\.10/],
    [{ classes: [0, 1] }, /classes must list 8 classes in 0\.\.9/],
    [{ offsetMin: 2, offsetMax: 1 }, /offsets must satisfy 0 <= offsetMin <= offsetMax/],
    [{ copies: 'twice' }, /copies "twice" is unknown; use all, antithetic, one/],
    [{ frequency: 'mid' }, /frequency "mid" is unknown; use low or high/],
    [{ avoidSourceClass: 'yes' }, /avoidSourceClass must be true or false/],
    [{ support: { x: 12, y: 12, width: 8, height: 8 } }, /support box x 12, y 12, 8x8 must be integers inside the 16x16 image/],
  ];
  for (const [o, message] of bad) {
    assert.throws(() => runAttack('orthant', clean, { rate: 0.1, trigger: grey, ...o }), (e: Error) => e instanceof PoisonConfigError && message.test(e.message) && !e.message.includes('\n'));
  }
});

test('orthant: the catalog defaults (directions 3, offsets 0..1.25, one copy, avoidSourceClass) reach the engine, and poison.json keeps the directions', async () => {
  const cfg = loadConfig({}, { 'attack.kind': 'orthant' });
  const opts = attackKindOptions(cfg);
  assert.deepEqual(opts, { directions: 3, support: 'trigger', frequency: 'low', offsetMin: 0, offsetMax: 1.25, copies: 'one', classes: [], avoidSourceClass: true });
  const engine = await attackEngine('orthant');
  const r = engine.poison(clean, { ...opts, rate: 0.1, trigger: grey, seed: 5 });
  assert.equal(r.summary.attack, 'orthant');
  assert.deepEqual(r.summary.classes, [0, 1, 2, 3, 4, 5, 6, 7], 'an empty classes list means 0..2^m − 1');
  assert.deepEqual([r.summary.directions, r.summary.copies, r.summary.avoidSourceClass, r.summary.offsetMax], [3, 'one', true, 1.25]);
  assert.deepEqual(r.summary.support, { x: 8, y: 8, width: 8, height: 8 });
  assert.equal(r.summary.sources, r.records.length, 'one copy per source');
  assert.ok(r.records.every((x) => x.label !== x.sourceLabel));
  const path = join(mkdtempSync(join(tmpdir(), 'abstain-orthant-')), 'poison.json');
  writePoisonJson(path, r, cfg.attack);
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(doc.directions.length, 3);
  doc.directions.forEach((d: number[], j: number) => assert.deepEqual(Float32Array.from(d), r.directions![j]));
  assert.deepEqual(doc.indices[0].offsets, r.records[0].offsets);
  assert.equal(typeof doc.indices[0].orthant, 'number');
  // a bad support from the config is refused by the schema, with the field named
  assert.throws(() => loadConfig({ attack: { kind: 'orthant', orthant: { support: 'centre' } } }), /attack\.orthant\.support/);
});
