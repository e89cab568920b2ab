// The commands end to end on tiny data: poison, run (and its resume), train, certify, report,
// reproduce --scale smoke. Each takes seconds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIdxPair, MNIST_CLASSES } from '../../src/data/index.js';
import { gridCells, SCALES } from '../../src/cli/reproduce-grid.js';
import { DEFENSE_SCALES, defenseGridCells } from '../../src/cli/reproduce-defenses.js';
import { loadConfig } from '../../src/config/index.js';
import { cli, spawnCli, tmp, TINY } from './helpers.js';

test('poison: the issue example writes poison.json (round(ρN) records under indices), the IDX files and examples.png', () => {
  const out = join(tmp(), 'p');
  const r = spawnCli('poison', '--dataset', 'mnist', '--attack', 'uncertainty', '--rate', '0.01', '--seed', '1', '--out', out, '--no-progress');
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(readFileSync(join(out, 'poison.json'), 'utf8'));
  assert.equal(doc.indices.length, Math.round(0.01 * 60000));
  assert.equal(doc.summary.cleanSize, 60000);
  assert.equal(doc.attack, 'uncertainty');
  const back = loadIdxPair({
    name: 'poisoned',
    imagesPath: join(out, 'poisoned-train-images-idx3-ubyte'),
    labelsPath: join(out, 'poisoned-train-labels-idx1-ubyte'),
    classNames: MNIST_CLASSES,
  });
  assert.equal(back.length, 60000 + doc.indices.length);
  assert.deepEqual(back.shape, [1, 28, 28]);
  for (const rec of doc.indices.slice(0, 20)) assert.equal(back.labels[rec.index], rec.label);
  assert.ok(readFileSync(join(out, 'examples.png')).subarray(1, 4).toString() === 'PNG');
  assert.match(r.out, /poison\.json \(600 records under "indices"\)/);
});

test('poison: attack none and a missing data set are one-line failures', async () => {
  const none = await cli('poison', '--attack', 'none', '--out', join(tmp(), 'x'));
  assert.equal(none.code, 1);
  assert.match(none.err, /^abstain: poison: attack\.kind is none/);
  const cifar = await cli('poison', '--dataset', 'cifar10', '--arch', 'cifar-resnet', '--out', join(tmp(), 'y'));
  assert.equal(cifar.code, 1);
  assert.match(cifar.err, /^abstain: cifar10: no data folder given; download .* --data-dir/);
  assert.equal(cifar.err.trim().split('\n').length, 1);
});

test('run: a tiny config writes summary.json and report.html; a second run skips every stage', async () => {
  const dir = tmp();
  const file = join(dir, 'tiny.yaml');
  writeFileSync(
    file,
    [
      'name: tiny',
      `outDir: ${dir}`,
      'data: { dataset: synthetic, trainLimit: 600, testLimit: 100 }',
      'model: { architecture: mlp }',
      'attack: { kind: uncertainty, rate: 0.05 }',
      'train: { epochs: 1, batchSize: 64 }',
      'certify: { kinds: [smoothing, ibp], smoothing: { n0: 20, n: 100, batchSize: 500 } }',
      'eval: { testInputs: 10 }',
    ].join('\n'),
  );
  const first = await cli('run', file, '--no-progress');
  assert.equal(first.code, 0, first.err);
  const runDir = join(dir, 'tiny');
  for (const f of ['config.json', 'poison.json', 'model.safetensors', 'baseline.safetensors', 'certs-clean-smoothing.jsonl', 'certs-trigger-ibp.jsonl', 'summary.json', 'report.html']) {
    assert.ok(existsSync(join(runDir, f)), f);
  }
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.deepEqual(Object.keys(summary.certifiers).sort(), ['ibp', 'smoothing']);
  assert.match(first.out, /smoothing, r_d = 0\.25/);
  // The headline leads with availability; the smoothing certificates carry counts, IBP's do not.
  assert.match(first.out, /^smoothing at r_d 0\.25: triggered → fallback \d+\.\d%, certified wrong \d+\.\d%; certified accuracy clean /m);
  assert.match(first.out, /^ibp at r_d 0\.1: triggered → fallback /m);
  assert.ok(existsSync(join(runDir, 'plots', 'vote-share-smoothing.svg')));
  assert.ok(!existsSync(join(runDir, 'plots', 'vote-share-ibp.svg')));
  assert.match(first.out, new RegExp(`report: +${runDir}/report\\.html`));
  assert.doesNotMatch(first.out, /skipped/);

  const t0 = Date.now();
  const second = await cli('run', file, '--no-progress');
  assert.equal(second.code, 0, second.err);
  const skipped = /skipped \(up to date\): (.*)/.exec(second.out)?.[1].split(', ') ?? [];
  const stages = ['poison', 'train', 'baseline', ...['smoothing', 'ibp'].flatMap((k) => ['clean', 'trigger', 'baseline', 'baseline-trigger'].map((s) => `certify-${k}-${s}`))];
  assert.deepEqual([...skipped].sort(), [...stages].sort());
  assert.ok(Date.now() - t0 < 20000);
  assert.doesNotMatch(second.err, /epoch 1\/1/, 'nothing trained again');

  // A flag changes the config: only what depends on it is redone.
  const third = await cli('run', file, '--no-progress', '--n', '120');
  assert.equal(third.code, 0, third.err);
  // --n is a smoothing option: every stage but smoothing's certification is up to date.
  const third_skipped = /skipped \(up to date\): (.*)/.exec(third.out)?.[1].split(', ') ?? [];
  assert.deepEqual([...third_skipped].sort(), stages.filter((s) => !s.startsWith('certify-smoothing-')).sort());

  // report rebuilds summary.json and report.html from the certificates alone.
  rmSync(join(runDir, 'summary.json'));
  rmSync(join(runDir, 'report.html'));
  const rep = await cli('report', runDir);
  assert.equal(rep.code, 0, rep.err);
  assert.ok(existsSync(join(runDir, 'summary.json')) && existsSync(join(runDir, 'report.html')));
  const rebuilt = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(rebuilt.certifiers.smoothing.clean.n, 10);
  assert.equal((await cli('report', dir)).code, 1, 'not a run folder');
});

test('train writes the model; certify certifies it (architecture from the file or --arch) and rejects a wrong --arch', async () => {
  const dir = tmp();
  const trained = await cli('train', ...TINY, '--no-baseline', '--out', join(dir, 't'));
  assert.equal(trained.code, 0, trained.err);
  const model = join(dir, 't', 'model.safetensors');
  assert.ok(existsSync(model));
  assert.ok(!existsSync(join(dir, 't', 'summary.json')), 'train stops before certification');

  const c = await cli('certify', '--model', model, ...TINY, '--certifier', 'smoothing,crown', '--out', join(dir, 'c'));
  assert.equal(c.code, 0, c.err);
  for (const f of ['certs-clean-smoothing.jsonl', 'certs-trigger-smoothing.jsonl', 'certs-clean-crown.jsonl', 'certs-trigger-crown.jsonl', 'summary.json', 'report.html']) {
    assert.ok(existsSync(join(dir, 'c', f)), f);
  }
  const lines = readFileSync(join(dir, 'c', 'certs-clean-smoothing.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 10);

  const noArch = TINY.filter((_, i) => TINY[i] !== '--arch' && TINY[i - 1] !== '--arch');
  const recorded = await cli('certify', '--model', model, ...noArch, '--certifier', 'ibp', '--out', join(dir, 'c2'));
  assert.equal(recorded.code, 0, recorded.err);

  for (const arch of ['mnist-small', 'cifar-resnet']) {
    const wrong = await cli('certify', '--model', model, ...noArch, '--arch', arch, '--out', join(dir, `w-${arch}`));
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, new RegExp(`^abstain: .*model\\.safetensors does not match ${arch} for synthetic .*records architecture mlp`));
    assert.equal(wrong.err.trim().split('\n').length, 1);
    assert.ok(!existsSync(join(dir, `w-${arch}`)), 'nothing written');
  }
  const missing = await cli('certify', '--model', join(dir, 'nope.safetensors'), '--arch', 'mlp', ...noArch);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no such file/);
});

test('reproduce --scale smoke: one row per cell in results.md, and the baseline trained once per certifier setting', async () => {
  const out = join(tmp(), 'grid');
  const r = await cli('reproduce', '--scale', 'smoke', '--out', out, '--no-progress');
  assert.equal(r.code, 0, r.err);
  const cells = gridCells(SCALES.smoke);
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  const rows = md.split('\n').filter((l) => l.startsWith('| synthetic |'));
  assert.equal(rows.length, cells.length);
  for (const f of ['results.html', 'report.html', 'plots/poison-rate.svg', 'timings.json']) assert.ok(existsSync(join(out, f)), f);
  for (const c of cells) assert.ok(existsSync(join(out, c.name, 'summary.json')), c.name);
  assert.equal((r.err.match(/train \(baseline\)/g) ?? []).length, new Set(cells.map((c) => c.certifier.id)).size);
  const timings = JSON.parse(readFileSync(join(out, 'timings.json'), 'utf8'));
  const reused = cells.filter((c) => timings.cells[c.name].skipped.includes('baseline'));
  assert.equal(reused.length, cells.length - new Set(cells.map((c) => c.certifier.id)).size);
  for (const c of reused) assert.ok(timings.cells[c.name].skipped.some((s: string) => s.endsWith('-baseline-trigger')), c.name);
  assert.match(r.out, /\| data set \| attack \| certifier \|/);
  // The availability curve in results.json: per certifier, each rate's point is that cell's triggered fallback and certified-wrong rates.
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const curves = results.availability as { dataset: string; attack: string; certifier: string; points: { rate: number; fallbackRate: number; certifiedWrongRate: number }[] }[];
  assert.equal(curves.length, new Set(cells.map((c) => c.certifier.id)).size);
  assert.equal(curves.flatMap((c) => c.points).length, cells.length);
  for (const c of cells) {
    const curve = curves.find((k) => k.dataset === c.dataset && k.attack === c.attack && k.certifier === c.certifier.label)!;
    const point = curve.points.find((p) => p.rate === c.rate)!;
    const cs = JSON.parse(readFileSync(join(out, c.name, 'summary.json'), 'utf8')).certifiers[c.certifier.family];
    assert.equal(point.fallbackRate, cs.triggered.fallbackRate, c.name);
    assert.equal(point.certifiedWrongRate, cs.triggered.certifiedWrongRate, c.name);
  }
  assert.ok(readFileSync(join(out, 'results.html'), 'utf8').includes('<h2>Availability: fallback and certified-wrong rate vs poison rate</h2>\n<p>'));
  const listed = await cli('reproduce', '--scale', 'small', '--list');
  assert.equal(listed.code, 0);
  assert.match(listed.out, /^160 cells/m);
});

test('reproduce grids: the orthant cells get the trigger the attack is built for (grey 8x8 top-left) unless the user gives one; other attacks keep the default', () => {
  const cells = gridCells(SCALES.small, { datasets: ['mnist'], attacks: ['orthant', 'uncertainty'], certifiers: ['smoothing-0.25'], rates: [0.01] });
  const trig = (c: (typeof cells)[number], user: Record<string, unknown> = {}) =>
    loadConfig({}, { ...SCALES.small.base, ...c.datasetDefaults, ...user, ...c.overrides }).attack.trigger;
  const [orth, unc] = [cells.find((c) => c.attack === 'orthant')!, cells.find((c) => c.attack === 'uncertainty')!];
  assert.deepEqual(trig(orth), { ...loadConfig({}).attack.trigger, size: 8, position: 'top-left', content: 'solid', value: 0.5 });
  assert.deepEqual(trig(unc), loadConfig({}).attack.trigger);
  assert.equal(trig(orth, { 'attack.trigger.size': 6 }).size, 6, "the user's flag wins");
  const def = defenseGridCells(DEFENSE_SCALES.smoke, { attacks: ['orthant'], certifiers: ['smoothing-0.25'], defenses: ['strip'] }, {}, tmp());
  assert.ok(def.length >= 2);
  for (const c of def.filter((x) => x.attack === 'orthant')) assert.deepEqual([c.cfg.attack.trigger.size, c.cfg.attack.trigger.position, c.cfg.attack.trigger.content], [8, 'top-left', 'solid'], c.name);
  // against an L-inf certifier the orthant cells take the bound-based geometry (one direction, offsets 1..2); under smoothing the catalog's defaults
  const orthantOf = (c: (typeof cells)[number]) => loadConfig({}, { ...SCALES.small.base, ...c.datasetDefaults, ...c.overrides }).attack.orthant;
  const ibp = gridCells(SCALES.small, { datasets: ['mnist'], attacks: ['orthant'], certifiers: ['ibp-0.1'], rates: [0.01] })[0];
  assert.deepEqual([orthantOf(ibp).directions, orthantOf(ibp).offsetMin, orthantOf(ibp).offsetMax], [1, 1, 2]);
  assert.deepEqual(orthantOf(orth), loadConfig({}).attack.orthant);
  const defIbp = defenseGridCells(DEFENSE_SCALES.smoke, { attacks: ['orthant'], certifiers: ['ibp-0.1'], defenses: ['strip'] }, {}, tmp()).find((x) => x.attack === 'orthant')!;
  assert.equal(defIbp.cfg.attack.orthant.directions, 1);
});
