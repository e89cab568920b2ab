// The catalog of kinds and the engine side agree: every kind the catalog names has a run
// function registered under the same name, and the engine registries (architectures, data set
// loaders) know exactly the catalog's kinds. The catalog and config validation load without the
// native addon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ARCHITECTURES, ATTACKS, CERTIFIERS, DATASETS, DEFENSES, OBJECTIVES, UnknownKindError } from '../../src/catalog/index.js';
import { architectures } from '../../src/nn/index.js';
import { SOURCES, loadSource } from '../../src/data/index.js';
import { attackEngine, certifierEngine, defenseEngine, objectiveEngine } from '../../src/experiment/index.js';
import { loadConfig } from '../../src/config/index.js';

test('attacks, objectives and certifiers: each catalog entry loads an engine registered under its own name', async () => {
  for (const name of ATTACKS.names) {
    const e = await attackEngine(name);
    assert.equal(e.name, name);
    assert.equal(typeof e.poison, 'function');
  }
  for (const name of OBJECTIVES.names) {
    const e = await objectiveEngine(name);
    assert.equal(e.name, name);
    assert.equal(typeof e.objective(loadConfig({}, { 'train.objective': name }).train[name as never] ?? {}, { numClasses: 10, epochs: 2 }).loss, 'function');
  }
  for (const name of CERTIFIERS.names) {
    const e = await certifierEngine(name);
    assert.equal(e.name, name);
    assert.equal(typeof e.certify, 'function');
  }
});

test('defenses: eight kinds, each loading an engine registered under its name with the interface of the stage where it acts', async () => {
  assert.deepEqual([...DEFENSES.names], ['activation-clustering', 'spectral-signatures', 'loss-isolation', 'dpa', 'fine-pruning', 'neural-cleanse', 'strip', 'vote-split']);
  const method = { data: 'filter', training: 'train', model: 'repair', input: 'prepare' } as const;
  for (const name of DEFENSES.names) {
    const entry = DEFENSES.get(name);
    const e = await defenseEngine(name);
    assert.equal(e.name, name);
    assert.equal(e.stage, entry.stage, name);
    assert.equal(typeof (e as unknown as Record<string, unknown>)[method[entry.stage]], 'function', `${name}: ${method[entry.stage]}()`);
    assert.ok(entry.reference.length > 10, `${name}: reference`);
    // input defenses say whether they refuse or transform, and a transform can be rebuilt from its recorded parameters
    if (entry.stage === 'input') {
      assert.ok(entry.acts === 'refuse' || entry.acts === 'transform', name);
      if (entry.acts === 'transform') assert.equal(typeof (e as { restore?: unknown }).restore, 'function', name);
    } else assert.equal(entry.acts, undefined, name);
    // every option has its default, so the config section of a kind is complete without any user value
    const cfg = loadConfig({}, { 'defense.kinds': [name] });
    const opts = (cfg.defense as Record<string, unknown>)[name] as Record<string, unknown>;
    assert.deepEqual(Object.keys(opts).sort(), Object.keys(entry.options.properties).sort(), name);
    // an adaptive attacker is an attack of the catalog, with overrides that make a valid config
    if (entry.adaptive) {
      assert.ok(ATTACKS.has(entry.adaptive.attack), name);
      loadConfig({}, { 'attack.kind': entry.adaptive.attack, ...entry.adaptive.overrides(0.01) });
    }
  }
  // the defaults of the papers (docs/defenses.md)
  const d = loadConfig({}).defense;
  assert.equal(d['spectral-signatures'].removalFactor, 1.5);
  assert.equal(d['activation-clustering'].sizeThreshold, 0.35);
  assert.equal(d.strip.falseRejectionRate, 0.01);
  assert.equal(d.dpa.partitions, 1200);
  assert.equal(d['neural-cleanse'].anomalyThreshold, 2);
  assert.deepEqual(d.kinds, []);
});

test('architectures and data sets: the engine registries name exactly the catalog\'s kinds, with the same shapes', () => {
  assert.deepEqual(Object.keys(architectures).sort(), [...ARCHITECTURES.names].sort());
  for (const name of ARCHITECTURES.names) {
    assert.deepEqual(architectures[name].inputShape, ARCHITECTURES.get(name).inputShape, name);
    assert.equal(architectures[name].numClasses, ARCHITECTURES.get(name).numClasses, name);
  }
  assert.deepEqual([...SOURCES()].sort(), [...DATASETS.names].sort());
  for (const name of ['mnist', 'synthetic'] as const) {
    const ds = loadSource(name, { split: 'test', limit: 5 });
    assert.deepEqual(ds.shape, DATASETS.get(name).inputShape, name);
    assert.equal(ds.numClasses, DATASETS.get(name).numClasses, name);
    assert.ok(ARCHITECTURES.has(DATASETS.get(name).architecture));
  }
});

test('an unknown kind is one line naming the known ones', () => {
  for (const f of [ATTACKS, CERTIFIERS, OBJECTIVES, DATASETS, ARCHITECTURES, DEFENSES]) {
    assert.throws(() => f.get('bogus'), (e: Error) => {
      assert.ok(e instanceof UnknownKindError);
      assert.equal(e.message, `unknown ${f.noun} "bogus"; known ${f.noun}s: ${f.names.join(', ')}`);
      return true;
    });
  }
});

test('the catalog and config validation load without the native addon', () => {
  // In a fresh process: import the catalog and the config, validate a config naming every
  // certifier, explain it; then no native addon may have been loaded (require's cache lists them).
  const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { loadConfig, explainConfig } = await import('${root}src/config/index.js');
    const { CERTIFIERS } = await import('${root}src/catalog/index.js');
    const { createRequire } = await import('node:module');
    const cfg = loadConfig({}, { 'certify.kinds': CERTIFIERS.names.join(','), 'attack.kind': 'boundary' });
    explainConfig();
    const addons = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.endsWith('.node'));
    console.log(JSON.stringify({ kinds: cfg.certify.kinds, addons }));
  `], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.kinds, [...CERTIFIERS.names]);
  assert.deepEqual(out.addons, [], 'no native addon was loaded');
});

test('a defense whose engine records its own detail says what it found from it (the report asks the catalog, never the kind name)', async () => {
  const { defenseFinding } = await import('../../src/report/defenses.js');
  const row = (kind: string, detail: Record<string, unknown>) => defenseFinding({ kind, stage: DEFENSES.get(kind).stage, seconds: 1, detail } as never);
  assert.match(row('fine-pruning', { pruned: 7, channels: 32 }), /pruned 7 of 32 channels/);
  assert.match(row('neural-cleanse', { flagged: ['availability', 3] }), /flagged trigger\(s\) availability, 3, unlearned/);
  assert.match(row('neural-cleanse', { flagged: [] }), /no anomalous trigger/);
  assert.match(row('vote-split', { detected: true, pValue: 1e-9, window: { x: 0, y: 0, size: 8 } }), /split votes detected .*"size":8/);
  assert.match(row('vote-split', { detected: false, pValue: 0.5 }), /no attack detected \(p 0\.500\)/);
  // every repair or transform without common metrics has a finding
  for (const k of DEFENSES.names) {
    const e = DEFENSES.get(k);
    if (e.stage === 'model' || e.acts === 'transform') assert.equal(typeof e.finding, 'function', `${k} has no finding()`);
  }
});
