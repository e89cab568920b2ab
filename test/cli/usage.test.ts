// The command line itself: help, exit codes, flags as config fields, error lines. Nothing here
// trains a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { leafFields } from '../../src/config/index.js';
import { splitOut } from '../../src/cli/options.js';
import { configReference } from '../../src/cli/config-doc.js';
import { cli, root, spawnCli, tmp } from './helpers.js';

const COMMANDS = ['demo', 'run', 'poison', 'train', 'certify', 'report', 'reproduce', 'worker', 'config'];

test('--help lists every command and exits 0', async () => {
  const r = await cli('--help');
  assert.equal(r.code, 0);
  for (const c of COMMANDS) assert.match(r.out, new RegExp(`^  ${c} `, 'm'), c);
  assert.match(r.out, /Exit codes: 0 ok, 1 failure, 2 bad usage/);
});

test('every command has help text with its options', async () => {
  for (const c of COMMANDS) {
    const r = await cli(c, '--help');
    assert.equal(r.code, 0, c);
    assert.match(r.out, new RegExp(`Usage: abstain ${c}`), c);
    assert.ok(r.out.length > 200, c);
  }
  assert.match((await cli('poison', '--help')).out, /--rate <value>\s+Poison rate/);
  assert.match((await cli('certify', '--help')).out, /--model <file>/);
  assert.match((await cli('reproduce', '--help')).out, /smoke\s+synthetic/);
  assert.equal((await cli('help', 'run')).code, 0);
});

test('bad usage exits 2 with one abstain: line; no arguments shows the help', async () => {
  const unknownOption = await cli('poison', '--no-such-flag');
  assert.equal(unknownOption.code, 2);
  assert.match(unknownOption.err, /^abstain: unknown option '--no-such-flag'/);
  assert.equal(unknownOption.err.trim().split('\n').length, 1);
  assert.equal((await cli('frobnicate')).code, 2);
  assert.match((await cli('run')).err, /missing required argument 'config'/);
  assert.equal((await cli('run')).code, 2);
  assert.equal((await cli('certify', '--arch', 'mlp')).code, 2, 'certify needs --model');
  assert.equal((await cli('config', '--set', 'novalue')).code, 2);
  assert.equal((await cli('reproduce', '--scale', 'huge')).code, 2);
  assert.equal((await cli('reproduce', '--rates', '0.01,x')).code, 2);
  const none = await cli();
  assert.equal(none.code, 2);
  assert.match(none.err, /Usage: abstain/);
});

test('the real command: exit codes and no stack trace', () => {
  const help = spawnCli('--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: abstain/);
  const bad = spawnCli('poison', '--rate', '2', '--epochs', '0', '--out', join(tmp(), 'x'));
  assert.equal(bad.code, 2, 'a bad flag value is bad usage');
  assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');
  assert.equal(spawnCli('nope').code, 2);
});

test('an invalid flag value exits 2 (bad usage), lists every bad field and writes nothing', async () => {
  const out = join(tmp(), 'never');
  const r = await cli('poison', '--rate', '1.5', '--epochs', '0', '--dataset', 'mnistt', '--out', out);
  assert.equal(r.code, 2);
  const lines = r.err.trim().split('\n');
  assert.ok(lines.every((l) => l.startsWith('abstain: ')), r.err);
  assert.ok(lines.some((l) => /^abstain: attack\.rate: must be < 1 \(got 1\.5\)/.test(l)), r.err);
  assert.ok(lines.some((l) => l.startsWith('abstain: train.epochs: ')), r.err);
  assert.ok(lines.some((l) => /^abstain: data\.dataset: must be one of mnist\|/.test(l)), r.err);
  assert.equal(r.out, '');
  assert.equal(existsSync(out), false, 'nothing written');
  const unknown = await cli('config', '--print', '--set', 'attack.nope=1');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^abstain: attack\.nope: unknown field/);
});

test('a bad config file names the file in every line', async () => {
  const dir = tmp();
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'attack:\n  rate: 1.5\n  colour: red\n');
  const r = await cli('run', file);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^abstain: ${file.replaceAll('.', '\\.')}: attack\\.rate: must be < 1`, 'm'));
  assert.match(r.err, /attack\.colour: unknown field/);
  assert.equal((await cli('run', join(dir, 'missing.yaml'))).code, 1);
});

test('config --explain lists every field; config --print resolves file, aliases, dotted flags and --set', async () => {
  const explain = await cli('config', '--explain');
  assert.equal(explain.code, 0);
  for (const [path] of leafFields()) assert.ok(explain.out.includes(`  ${path}: `), path);
  assert.match(explain.out, /attack\.rate: number, > 0 and < 1; default 0\.01/);

  const dir = tmp();
  writeFileSync(join(dir, 'c.yaml'), 'name: fromfile\nattack: { rate: 0.02 }\n');
  const r = await cli('config', join(dir, 'c.yaml'), '--print', '--sigma', '0.5', '--attack.trigger.size', '5', '--set', 'train.optimizer.lr=0.01',
    '--epsilon', '0.3', '--certifier', 'smoothing,crown', '--no-baseline', '--out', join(dir, 'runs', 'x'));
  assert.equal(r.code, 0, r.err);
  const c = parseYaml(r.out);
  assert.equal(c.attack.rate, 0.02);
  assert.equal(c.train.gaussian.sigma, 0.5);
  assert.equal(c.certify.smoothing.sigma, 0.5);
  assert.equal(c.attack.trigger.size, 5);
  assert.equal(c.train.optimizer.lr, 0.01);
  assert.equal(c.train.ibp.epsilon, 0.3);
  assert.equal(c.train['crown-ibp'].epsilon, 0.3);
  assert.equal(c.certify.ibp.epsilon, 0.3);
  assert.equal(c.certify.crown.epsilon, 0.3);
  assert.deepEqual(c.certify.kinds, ['smoothing', 'crown']);
  assert.equal(c.baseline, false);
  assert.equal(c.outDir, join(dir, 'runs'));
  assert.equal(c.name, 'x');
  // A later flag wins over an earlier one.
  assert.equal(parseYaml((await cli('config', '--rate', '0.02', '--set', 'attack.rate=0.03')).out).attack.rate, 0.03);
});

test('--out DIR is the run folder: outDir is its parent, name its last part', () => {
  assert.deepEqual(splitOut('runs/demo'), { outDir: 'runs', name: 'demo' });
  assert.deepEqual(splitOut('runs/demo/'), { outDir: 'runs', name: 'demo' });
  assert.deepEqual(splitOut('x'), { outDir: '.', name: 'x' });
  assert.equal(splitOut('.').name, resolve('.').split('/').pop());
});

test('docs/config.md is the current config reference (node scripts/gen-config-doc.mjs regenerates it)', () => {
  const committed = readFileSync(join(root, 'docs', 'config.md'), 'utf8');
  assert.equal(committed, configReference(), 'docs/config.md is stale; run npx tsc -p . && node scripts/gen-config-doc.mjs');
  for (const [path] of leafFields()) assert.ok(committed.includes(`| \`${path}\` |`), path);
});
