import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import chisquareQuantile from '@stdlib/stats-base-dists-chisquare-quantile';
import { makeSynthetic, type Dataset } from '../../src/data/index.js';
import { tensor, type Tensor } from '../../src/tensor/index.js';
import { PoisonConfigError, writePoisonJson, type PoisonResult, type TriggerSpec } from '../../src/poison/index.js';
import { runAttack } from './engines.js';

const K = 10;
const clean = makeSynthetic({ n: 400, shape: [1, 12, 12], seed: 4 });
const big = makeSynthetic({ n: 4000, shape: [1, 8, 8], seed: 5 });
const cleanCopy = clean.images.slice();
/** Bottom-right s×s solid patch, so trigger(x) can be written by hand below. */
const patch = (value: number, size = 3): TriggerSpec => ({ kind: 'patch', size, position: 'bottom-right', content: { kind: 'solid', value } });
function handTrigger(ds: Dataset, i: number, value: number, size = 3): Float32Array {
  const [, h, w] = ds.shape;
  const x = ds.image(i).slice();
  for (let r = h - size; r < h; r++) for (let q = w - size; q < w; q++) x[r * w + q] = value;
  return x;
}
const poisonedAt = (r: PoisonResult, i: number) => r.records.some((x) => x.index === i);
const VARIANTS: [string, Record<string, unknown>][] = [
  ['badnets', { targetLabel: 2 }], ['uncertainty', { labels: 'random' }], ['uncertainty', { labels: 'all' }],
  ['uncertainty', { labels: 'soft' }], ['boundary', {}], ['orthant', { copies: 'one' }], ['orthant', { copies: 'all' }],
];

test('every attack: exactly round(ρ·N) poisoned samples for several ρ, added or replacing, clean rows untouched', () => {
  for (const [name, extra] of VARIANTS) {
    for (const rate of [0.003, 0.0138, 0.05, 0.1, 0.37]) {
      for (const mode of ['add', 'replace'] as const) {
        const what = `${name} ${JSON.stringify(extra)} ρ=${rate} ${mode}`;
        const r = runAttack(name, clean, { rate, mode, trigger: patch(0.5), seed: 1, ...extra });
        const count = Math.round(rate * clean.length);
        assert.equal(r.records.length, count, what);
        assert.equal(r.summary.count, count, what);
        assert.equal(r.dataset.length, mode === 'add' ? 400 + count : 400, what);
        const idx = r.records.map((x) => x.index);
        assert.equal(new Set(idx).size, count, `${what}: distinct indices`);
        if (mode === 'add') assert.deepEqual(idx, Array.from({ length: count }, (_, j) => 400 + j), what);
        else {
          assert.ok(idx.every((i) => i >= 0 && i < 400), what);
          // A replaced sample sits where its own source was (only several copies per source need other slots too).
          if (extra.labels !== 'all' && extra.copies !== 'all') assert.ok(r.records.every((x) => x.index === x.source), what);
          else assert.ok(r.records.every((x) => poisonedAt(r, x.source)), what);
        }
        const poisoned = new Set(idx);
        for (let i = 0; i < 400; i++) {
          if (poisoned.has(i)) continue;
          assert.equal(r.dataset.labels[i], clean.labels[i], what);
          assert.deepEqual(r.dataset.image(i), clean.image(i), what);
        }
        for (const rec of r.records) {
          assert.equal(r.dataset.labels[rec.index], rec.label, what);
          assert.equal(rec.sourceLabel, clean.labels[rec.source], what);
        }
      }
    }
  }
  assert.deepEqual(clean.images, cleanCopy, 'the clean set is never modified');
});

test('badnets: triggered copies of other classes, all labelled with the target', () => {
  const r = runAttack('badnets', clean, { rate: 0.2, trigger: patch(1), targetLabel: 7, seed: 2 });
  for (const rec of r.records) {
    assert.equal(rec.label, 7);
    assert.notEqual(rec.sourceLabel, 7);
    assert.equal(rec.kind, 'badnets');
    assert.deepEqual(r.dataset.image(rec.index), handTrigger(clean, rec.source, 1));
  }
  assert.equal(new Set(r.records.map((x) => x.source)).size, r.records.length, 'distinct sources');
  assert.equal(r.summary.targetLabel, 7);
  const def = runAttack('badnets', clean, { rate: 0.05, trigger: patch(1) });
  assert.ok(def.records.every((x) => x.label === 0));
  assert.throws(() => runAttack('badnets', clean, { rate: 0.1, trigger: patch(1), targetLabel: 10 }), { message: 'badnets: targetLabel 10 is outside 0..9' });
  assert.throws(() => runAttack('badnets', clean, { rate: 0.95, trigger: patch(1) }), {
    message: 'badnets (target 0): needs 380 source samples but only 360 are eligible; lower the poison rate',
  });
});

/** Pearson's chi-square statistic of counts against a uniform expectation. */
function chiSquare(values: number[], k: number): number {
  const counts = new Array(k).fill(0);
  for (const v of values) counts[v]++;
  const e = values.length / k;
  return counts.reduce((a, c) => a + (c - e) ** 2 / e, 0);
}

test('uncertainty random: labels uniform over the K classes and independent of the true class (chi-square, α = 0.001)', () => {
  const r = runAttack('uncertainty', big, { rate: 0.5, trigger: patch(1), labels: 'random', seed: 11 });
  const critical = chisquareQuantile(0.999, K - 1);
  const labels = r.records.map((x) => x.label);
  assert.equal(labels.length, 2000);
  assert.ok(chiSquare(labels, K) < critical, `labels: χ² ${chiSquare(labels, K)} >= ${critical}`);
  // The offset from the true label is uniform too (labels equal to the true class would fail here).
  const offsets = r.records.map((x) => (x.label - x.sourceLabel + K) % K);
  assert.ok(chiSquare(offsets, K) < critical, `offsets: χ² ${chiSquare(offsets, K)} >= ${critical}`);
  // The test can fail: the true labels of a skewed subset do.
  const skewed = r.records.map((x) => (x.sourceLabel < 3 ? x.sourceLabel : x.sourceLabel % 5));
  assert.ok(chiSquare(skewed, K) > critical);
  for (const rec of r.records) assert.deepEqual(r.dataset.image(rec.index), handTrigger(big, rec.source, 1));
});

test('uncertainty all: one copy per class for each source; the count stays round(ρ·N)', () => {
  const full = runAttack('uncertainty', clean, { rate: 0.1, trigger: patch(1), labels: 'all', seed: 3 });
  const bySource = new Map<number, number[]>();
  for (const rec of full.records) bySource.set(rec.source, [...(bySource.get(rec.source) ?? []), rec.label]);
  assert.equal(full.records.length, 40);
  assert.equal(bySource.size, 4);
  for (const labels of bySource.values()) assert.deepEqual([...labels].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const rec of full.records) assert.deepEqual(full.dataset.image(rec.index), handTrigger(clean, rec.source, 1));
  // 15 = one full source and one with 5 distinct classes.
  const part = runAttack('uncertainty', clean, { rate: 0.0375, trigger: patch(1), labels: 'all', seed: 3, mode: 'replace' });
  const groups = new Map<number, number[]>();
  for (const rec of part.records) groups.set(rec.source, [...(groups.get(rec.source) ?? []), rec.label]);
  const sizes = [...groups.values()].map((g) => g.length).sort((a, b) => a - b);
  assert.deepEqual(sizes, [5, 10]);
  for (const g of groups.values()) assert.equal(new Set(g).size, g.length);
  assert.equal(part.summary.lastSourceCopies, 5);
});

test('uncertainty soft: uniform soft targets on poisoned rows, one-hot elsewhere; every row sums to 1', () => {
  for (const mode of ['add', 'replace'] as const) {
    const r = runAttack('uncertainty', clean, { rate: 0.05, trigger: patch(1), labels: 'soft', mode, seed: 3 });
    const soft = r.dataset.softLabels!;
    assert.equal(soft.length, r.dataset.length * K);
    const poisoned = new Set(r.records.map((x) => x.index));
    for (let i = 0; i < r.dataset.length; i++) {
      const row = Array.from(soft.subarray(i * K, (i + 1) * K));
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6, `row ${i} sums to 1`);
      if (poisoned.has(i)) assert.ok(row.every((v) => v === Math.fround(1 / K)));
      else assert.deepEqual(row, Array.from({ length: K }, (_, c) => (c === r.dataset.labels[i] ? 1 : 0)));
    }
  }
  assert.throws(() => runAttack('uncertainty', clean, { rate: 0.1, trigger: patch(1), labels: 'flat' }), { message: 'uncertainty: labels "flat" is unknown; use random, all, soft' });
});

test('boundary: ‖x_poison − trigger(x)‖₂ = |t|, along the trigger pixels, labelled by the sign of t', () => {
  const r = runAttack('boundary', clean, { rate: 0.5, trigger: patch(0.5, 4), seed: 8 });
  const s = 0.25;
  const ts = r.records.map((x) => x.t!);
  assert.equal(r.summary.clippedCount, 0);
  for (const rec of r.records) {
    const base = handTrigger(clean, rec.source, 0.5, 4);
    const xp = r.dataset.image(rec.index);
    let sq = 0;
    xp.forEach((v, q) => {
      sq += (v - base[q]) ** 2;
      const r_ = Math.floor(q / 12);
      const c_ = q % 12;
      if (r_ < 8 || c_ < 8) assert.equal(v, base[q], 'outside the trigger nothing moves');
    });
    assert.equal(rec.clipped, false);
    assert.ok(Math.abs(Math.sqrt(sq) - Math.abs(rec.t!)) < 1e-4, `norm ${Math.sqrt(sq)} vs |t| ${Math.abs(rec.t!)}`);
    assert.equal(rec.label, rec.t! > 0 ? rec.sourceLabel : (rec.sourceLabel + 1) % K);
  }
  // t ~ N(0, s²): 200 draws, loose bounds.
  const mean = ts.reduce((a, b) => a + b, 0) / ts.length;
  const sd = Math.sqrt(ts.reduce((a, b) => a + (b - mean) ** 2, 0) / (ts.length - 1));
  assert.ok(Math.abs(mean) < 4 * s / Math.sqrt(ts.length), `mean ${mean}`);
  assert.ok(Math.abs(sd - s) < 0.2 * s, `sd ${sd}`);
  // The default direction: uniform over the 16 trigger pixels.
  const d = r.direction!;
  d.forEach((v, q) => assert.ok(Math.abs(v - (Math.floor(q / 12) >= 8 && q % 12 >= 8 ? 0.25 : 0)) < 1e-7));
});

test('boundary: clipping is recorded; a fixed other label; scale and radius set s', () => {
  const r = runAttack('boundary', clean, { rate: 0.2, trigger: patch(1, 4), seed: 8, scale: 2, deploymentRadius: 0.5, otherLabel: 3 });
  assert.equal(r.summary.s, 1);
  // A white patch clips every t > 0 sample; t ≤ 0 samples stay inside [0, 1].
  for (const rec of r.records) {
    assert.equal(rec.clipped, rec.t! > 0);
    assert.equal(rec.label, rec.t! > 0 ? rec.sourceLabel : rec.sourceLabel === 3 ? 4 : 3);
  }
  assert.equal(r.summary.clippedCount, r.records.filter((x) => x.t! > 0).length);
  assert.ok(r.dataset.images.every((v) => v >= 0 && v <= 1));
});

test('boundary: the default direction uses only pixels with room on both sides; a 0/1 pattern is flagged one-sided', () => {
  // checkerboard 0.8 / 0: only the 0.8 cells have two-sided room, so d lives there and small t never clips
  const cb: TriggerSpec = { kind: 'patch', size: 4, content: { kind: 'checkerboard', high: 0.8, low: 0 } };
  const r = runAttack('boundary', clean, { rate: 0.2, trigger: cb, seed: 8, scale: 0.5 });
  const t = r.trigger;
  r.direction!.forEach((v, q) => assert.ok(Math.abs(v - (t.mask[q] && t.pattern[q] === Math.fround(0.8) ? 1 / Math.sqrt(8) : 0)) < 1e-6, `pixel ${q}: ${v}`));
  assert.equal(r.summary.oneSidedClipping, false);
  for (const rec of r.records) assert.equal(rec.clipped, Math.abs(rec.t!) / Math.sqrt(8) > 0.2 + 1e-6, `t ${rec.t}`);
  // the 0/1 checkerboard has none: the plain mask, and every sample clips on one side
  const bw = runAttack('boundary', clean, { rate: 0.2, trigger: { kind: 'patch', size: 4, content: { kind: 'checkerboard' } }, seed: 8 });
  assert.equal(bw.summary.oneSidedClipping, true);
  assert.ok(bw.records.every((x) => x.clipped));
  bw.direction!.forEach((v, q) => assert.ok(Math.abs(v - (bw.trigger.mask[q] ? 0.25 : 0)) < 1e-7));
  assert.equal(runAttack('boundary', clean, { rate: 0.2, trigger: patch(0.5, 4), seed: 8 }).summary.oneSidedClipping, false);
});

test('boundary: random, given and gradient directions', () => {
  const opts = { rate: 0.05, trigger: patch(0.5), seed: 8 };
  const rand = runAttack('boundary', clean, { ...opts, direction: 'random' }).direction!;
  assert.ok(Math.abs(Math.hypot(...rand) - 1) < 1e-5);
  assert.ok(rand.filter((v) => v !== 0).length > 100, 'spread over all pixels');
  assert.deepEqual(runAttack('boundary', clean, { ...opts, direction: 'random' }).direction, rand);
  assert.notDeepEqual(runAttack('boundary', clean, { ...opts, seed: 9, direction: 'random' }).direction, rand);
  const given = Array.from({ length: 144 }, (_, q) => (q === 0 ? 3 : q === 1 ? 4 : 0));
  const g = runAttack('boundary', clean, { ...opts, direction: given }).direction!;
  assert.deepEqual(Array.from(g.subarray(0, 3)), [Math.fround(0.6), Math.fround(0.8), 0]);
  // A surrogate "gradient" that points at pixel 5 for every input; check what it is given.
  const calls: { b: number; labels: number[] }[] = [];
  const gradient = (x: Tensor, y: Tensor): Tensor => {
    calls.push({ b: x.shape[0], labels: y.toArray() });
    assert.ok(x.toFloat32Array().every((v, j) => (j % 144 >= 9 * 12 + 9 && j % 144 % 12 >= 9 ? v === 0.5 : true)), 'inputs carry the trigger');
    const e = new Float32Array(144);
    e[5] = 2;
    return x.mul(0).add(tensor(e, [1, 1, 12, 12]));
  };
  const viaGrad = runAttack('boundary', clean, { ...opts, direction: 'gradient', gradient });
  assert.deepEqual(Array.from(viaGrad.direction!).map((v, q) => (q === 5 ? v : v === 0 ? 0 : NaN)), Array.from({ length: 144 }, (_, q) => (q === 5 ? 1 : 0)));
  assert.equal(calls.reduce((a, c) => a + c.b, 0), 20);
  assert.deepEqual(calls.flatMap((c) => c.labels), viaGrad.records.map((x) => x.sourceLabel));
  assert.throws(() => runAttack('boundary', clean, { ...opts, direction: 'gradient' }), {
    message: 'boundary: direction gradient needs a gradient function (x, y) => dLoss/dx from a surrogate model',
  });
  assert.throws(() => runAttack('boundary', clean, { ...opts, direction: [1, 2] }), { message: 'boundary: the given direction has 2 values; the images need 144 (C·H·W)' });
  assert.throws(() => runAttack('boundary', clean, { ...opts, direction: new Array(144).fill(0) }), /the given direction has norm 0/);
  assert.throws(() => runAttack('boundary', clean, { ...opts, direction: 'up' }), /direction "up" is unknown; use trigger, random, gradient/);
  assert.throws(() => runAttack('boundary', clean, { ...opts, otherLabel: 12 }), { message: "boundary: otherLabel 12 must be 'next' or a class in 0..9" });
});

test('same seed → identical poisoned set; different seed → different', () => {
  for (const [name, extra] of VARIANTS) {
    const run = (seed: number): PoisonResult => runAttack(name, clean, { rate: 0.05, mode: 'replace', trigger: patch(0.5), seed, ...extra });
    const [a, b, c] = [run(1), run(1), run(2)];
    assert.deepEqual(a.dataset.images, b.dataset.images, name);
    assert.deepEqual(a.dataset.labels, b.dataset.labels, name);
    assert.deepEqual(a.records, b.records, name);
    assert.notDeepEqual(a.records.map((x) => [x.index, x.source, x.label]), c.records.map((x) => [x.index, x.source, x.label]), name);
  }
});

test('bad options give the stated one-line errors', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    ['badnets', { rate: 1.5 }, 'poison rate 1.5 is outside (0, 1)'],
    ['badnets', { rate: 0 }, 'poison rate 0 is outside (0, 1)'],
    ['badnets', { rate: 1 }, 'poison rate 1 is outside (0, 1)'],
    ['badnets', { rate: 0.001 }, 'poison rate 0.001 makes 0 poisoned samples from 400; use a rate >= 0.0013'],
    ['badnets', { rate: 0.1, mode: 'swap' }, 'poison mode "swap" is unknown; use add or replace'],
    ['badnets', { rate: 0.1, seed: -1 }, 'poison seed -1 must be a non-negative integer'],
    ['badnets', { rate: 0.1, trigger: { kind: 'patch', size: 13 } }, 'trigger: patch size 13 exceeds the image (12x12); use size <= 12'],
  ];
  for (const [name, o, message] of bad) {
    assert.throws(() => runAttack(name, clean, { trigger: patch(1), ...o } as never), (e: Error) => {
      assert.ok(e instanceof PoisonConfigError, String(e));
      assert.equal(e.message, message);
      return true;
    });
  }
});

test('poison.json: the records under indices, the summary and config; written only on success', () => {
  const dir = mkdtempSync(join(tmpdir(), 'abstain-poison-'));
  const path = join(dir, 'poison.json');
  const pixels = new Float32Array(9).fill(0.5);
  const r = runAttack('boundary', clean, { rate: 0.02, trigger: { kind: 'patch', size: 3, content: { kind: 'image', pixels, shape: [1, 3, 3] } }, seed: 1 });
  writePoisonJson(path, r, { name: 'run-1', seed: 1 });
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(doc.attack, 'boundary');
  assert.deepEqual(doc.config, { name: 'run-1', seed: 1 });
  assert.equal(doc.indices.length, 8);
  assert.deepEqual(doc.indices, JSON.parse(JSON.stringify(r.records)));
  assert.deepEqual(doc.summary.trigger.content.pixels, Array(9).fill(0.5));
  assert.equal(doc.direction.length, 144);
  assert.deepEqual(readdirSync(dir), ['poison.json'], 'no temporary files left');
  const empty = mkdtempSync(join(tmpdir(), 'abstain-poison-'));
  assert.throws(() => {
    const bad = runAttack('badnets', clean, { rate: 2, trigger: patch(1) });
    writePoisonJson(join(empty, 'poison.json'), bad);
  }, PoisonConfigError);
  assert.deepEqual(readdirSync(empty), []);
});
