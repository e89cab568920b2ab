import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configHash, explainConfig, loadConfig } from '../../src/config/index.js';

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
  assert.equal(c.attack.labels, 'soft');
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
    'attack.kind': 'boundary',
  });
  assert.equal(c.attack.rate, 0.05);
  assert.deepEqual(c.eval.radii, [0, 0.5]);
  assert.equal(c.baseline, false);
  assert.deepEqual(c.certify.kinds, ['smoothing', 'ibp']);
  assert.equal(c.train.epochs, 3);
  assert.equal(c.attack.boundary.otherLabel, 4);
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
  assert.match(byField.get('attack.kind')!, /one of none\|badnets\|uncertainty\|boundary \(got "x"\)/);
  assert.match(byField.get('data.dataset')!, /one of mnist\|fashion-mnist\|cifar10\|synthetic/);
  assert.match(byField.get('data.bogus')!, /unknown field \(allowed here: dataset, dataDir, trainLimit, testLimit\)/);
  assert.match(byField.get('certify.kinds[1]')!, /one of smoothing\|ibp\|crown \(got "lp"\)/);
  assert.match(byField.get('train.epochs')!, /integer, >= 1 \(got "abc"\)/);
  assert.match(byField.get('no.such')!, /unknown field/);
  assert.equal(err.problems.length, 7);
  for (const p of err.problems) assert.ok(err.message.includes(p), 'the message holds one line per field');
});

test('unreadable and unparsable files fail with the path', () => {
  const dir = tmp();
  writeFileSync(join(dir, 'bad.json'), '{ "name": ');
  assert.throws(() => loadConfig(join(dir, 'bad.json')), (e: Error) => e instanceof ConfigError && e.message.includes('bad.json') && /cannot parse/.test(e.message));
  assert.throws(() => loadConfig(join(dir, 'missing.yaml')), /missing\.yaml: invalid config\n {2}cannot read the file \(ENOENT\)/);
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
  assert.match(text, /attack\.rate: number, > 0 and < 1; default 0\.01\n\s+Poison rate/);
});

test('configHash tells which stage is out of date', () => {
  const a = loadConfig();
  const reverse = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
  const reordered = reverse(a) as typeof a; // the same values, every key order reversed
  assert.notEqual(JSON.stringify(reordered), JSON.stringify(a));
  assert.equal(configHash(a, 'train'), configHash(reordered, 'train'));
  const moreSamples = loadConfig({}, { 'certify.smoothing.n': '1000' });
  assert.equal(configHash(a, 'train'), configHash(moreSamples, 'train'));
  assert.notEqual(configHash(a, 'certify'), configHash(moreSamples, 'certify'));
  const otherRate = loadConfig({}, { 'attack.rate': '0.05' });
  assert.notEqual(configHash(a, 'poison'), configHash(otherRate, 'poison'));
  assert.equal(configHash(a, 'baseline'), configHash(otherRate, 'baseline'), 'the unpoisoned baseline ignores the attack');
  assert.match(configHash(a, ['poison', 'train']), /^[0-9a-f]{64}$/);
});
