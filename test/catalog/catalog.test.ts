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
import { attackEngine, certifierEngine, objectiveEngine } from '../../src/experiment/index.js';
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
  assert.equal(DEFENSES.names.length, 0, 'no defense is in the catalog yet (update this test with the engine check when one is)');
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
  for (const f of [ATTACKS, CERTIFIERS, OBJECTIVES, DATASETS, ARCHITECTURES]) {
    assert.throws(() => f.get('bogus'), (e: Error) => {
      assert.ok(e instanceof UnknownKindError);
      assert.equal(e.message, `unknown ${f.noun} "bogus"; known ${f.noun}s: ${f.names.join(', ')}`);
      return true;
    });
  }
  assert.throws(() => DEFENSES.get('strip'), { message: 'unknown defense "strip"; known defenses: (none yet)' });
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
