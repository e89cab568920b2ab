import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configHash, explainConfig, loadConfig } from '../../src/config/index.js';
import { ATTACKS, CERTIFIERS, DATASETS } from '../../src/catalog/index.js';

const oneOf = (names: readonly string[]) => names.join('|').replaceAll('|', '\\|');

const tmp = () => mkdtempSync(join(tmpdir(), 'abstain-config-'));

test('defaults are filled and match the paper notes', () => {
  const c = loadConfig();
  assert.equal(c.attack.rate, 0.01);
  assert.equal(c.attack.kind, 'uncertainty');
  assert.equal(c.certify.smoothing.sigma, 0.25);
  assert.equal(c.certify.smoothing.n0, 100);
  assert.equal(c.certify.smoothing.n, 100000);
  assert.equal(c.certify.smoothing.alpha, 0.001);
  assert.equal(c.certify.ibp.epsilon, 0.1);
  assert.equal(c.eval.deploymentRadius, 0.25);
  assert.deepEqual(c.fallback.triggerShares, [0, 0.01, 0.1, 0.5, 1]);
  assert.equal(c.baseline, true);
  assert.equal(c.attack.uncertainty.labels, 'soft');
  assert.equal(c.train.gaussian.sigma, 0.25);
});

test('YAML and JSON both load, and a partial nested object keeps its other defaults', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.yaml'), 'name: t\nattack:\n  rate: 0.05\n  trigger:\n    size: 4\n');
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ name: 't', attack: { rate: 0.05, trigger: { size: 4 } } }));
  const y = loadConfig(join(dir, 'a.yaml'));
  const j = loadConfig(join(dir, 'a.json'));
  assert.deepEqual(y, j);
  assert.equal(y.attack.rate, 0.05);
  assert.equal(y.attack.trigger.size, 4);
  assert.equal(y.attack.trigger.kind, 'patch');
  assert.equal(y.attack.kind, 'uncertainty');
});

test('dotted overrides with strings coerced to the field type', () => {
  const source = { attack: { rate: 0.02 } };
  const c = loadConfig(source, {
    'attack.rate': '0.05',
    'eval.radii': '0, 0.5',
    baseline: 'false',
    'certify.kinds': 'smoothing,ibp',
    'train.epochs': 3,
    'attack.boundary.otherLabel': '4',
    'attack.boundary.direction': 'gradient',
    'attack.kind': 'boundary',
  });
  assert.equal(c.attack.rate, 0.05);
  assert.deepEqual(c.eval.radii, [0, 0.5]);
  assert.equal(c.baseline, false);
  assert.deepEqual(c.certify.kinds, ['smoothing', 'ibp']);
  assert.equal(c.train.epochs, 3);
  assert.equal(c.attack.boundary.otherLabel, 4);
  assert.equal(c.attack.boundary.direction, 'gradient', 'the gradient direction is reachable from the config');
  assert.equal(c.attack.kind, 'boundary');
  assert.deepEqual(source, { attack: { rate: 0.02 } }, 'the caller\'s object is not modified');
});

test('an invalid config lists every bad field with what is allowed', () => {
  let err: unknown;
  try {
    loadConfig(
      { attack: { rate: 1.5, kind: 'x' }, data: { dataset: 'svhn', bogus: 1 }, certify: { kinds: ['smoothing', 'lp'] } },
      { 'train.epochs': 'abc', 'no.such': '1' },
    );
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError);
  const byField = new Map(err.problems.map((p) => [p.split(':')[0], p]));
  assert.equal(byField.get('attack.rate'), 'attack.rate: must be < 1 (got 1.5)');
  assert.match(byField.get('attack.kind')!, new RegExp(`one of ${oneOf(ATTACKS.names)} \\(got "x"\\)`));
  assert.match(byField.get('data.dataset')!, new RegExp(`one of ${oneOf(DATASETS.names)}`));
  assert.match(byField.get('data.bogus')!, /unknown field \(allowed here: dataset, dataDir, trainLimit, testLimit\)/);
  assert.match(byField.get('certify.kinds[1]')!, new RegExp(`one of ${oneOf(CERTIFIERS.names)} \\(got "lp"\\)`));
  assert.match(byField.get('train.epochs')!, /integer, >= 1 and <= 100000 \(got "abc"\)/);
  assert.match(byField.get('no.such')!, /unknown field/);
  assert.equal(err.problems.length, 7);
  for (const p of err.problems) assert.ok(err.message.includes(p), 'the message holds one line per field');
});

test('unreadable and unparsable files fail with the path', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.json'), '{ "name": ');
  assert.throws(() => loadConfig(join(dir, 'bad.json')), (e: Error) => e instanceof ConfigError && e.message.includes('bad.json') && /cannot parse/.test(e.message));
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing\.yaml: invalid config\n {2}cannot read the config file: no such file/);
});

test('explainConfig lists every leaf field with its default', () => {
  const text = explainConfig();
  // Leaf paths found independently, by walking the default config itself.
  const leaves: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    else leaves.push(path);
  };
  walk(loadConfig(), '');
  assert.ok(leaves.length > 40);
  for (const leaf of leaves) assert.match(text, new RegExp(`^ {2}${leaf.replaceAll('.', '\\.')}: `, 'm'), `${leaf} is explained`);
  assert.match(text, /attack\.rate: number, > 0 and < 1; default 0\.01; flag --rate\n\s+Poison rate/);
  for (const kind of CERTIFIERS.names) assert.match(text, new RegExp(`^  ${kind}: ${CERTIFIERS.get(kind).description.replace(/[()]/g, '.')}$`, 'm'), `the kinds section lists ${kind}`);
});

test('configHash covers exactly the fields named, whatever the key order', () => {
  const a = loadConfig();
  const reverse = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
  const reordered = reverse(a) as typeof a; // the same values, every key order reversed
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(a));
  assert.equal(configHash(a, ['train', 'seed']), configHash(reordered, ['seed', 'train']));
  const moreSamples = loadConfig({}, { 'certify.smoothing.n': '1000' });
  assert.equal(configHash(a, ['train']), configHash(moreSamples, ['train']));
  assert.notEqual(configHash(a, ['certify.smoothing']), configHash(moreSamples, ['certify.smoothing']));
  assert.equal(configHash(a, ['certify.ibp']), configHash(moreSamples, ['certify.ibp']));
  assert.match(configHash(a, ['attack', 'data']), /^[0-9a-f]{64}$/);
});

test('arch cifar-cnn and every kind of the catalog are accepted by the config', () => {
  assert.equal(loadConfig({}, { 'model.architecture': 'cifar-cnn' }).model.architecture, 'cifar-cnn');
  for (const kind of CERTIFIERS.names) assert.deepEqual(loadConfig({}, { 'certify.kinds': kind }).certify.kinds, [kind]);
  for (const kind of ATTACKS.names) assert.equal(loadConfig({}, { 'attack.kind': kind }).attack.kind, kind);
});
