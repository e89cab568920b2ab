// Bad input as a new user gives it (issue 9): each case is one `abstain:` line that names the
// problem, with the right exit code (2 for anything wrong on the command line, 1 otherwise),
// never "(unexpected error ...)" and never a silent wrong run. Nothing here trains for more than
// a step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, saveModel } from '../../src/nn/index.js';
import { errnoLine } from '../../src/cli/main.js';
import { cli, root, tmp, TINY } from './helpers.js';

/** Exactly one line, starting with `abstain: `, and not the catch-all for internal errors. */
function oneLine(err: string): string {
  const lines = err.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected:\n${err}`);
  assert.match(lines[0], /^abstain: /);
  assert.doesNotMatch(lines[0], /unexpected error/);
  return lines[0];
}

const write = (file: string, text: string) => (writeFileSync(file, text), file);
/** TINY without its --arch: certify then reads the architecture from the file. */
const NO_ARCH = TINY.filter((_, i) => TINY[i] !== '--arch' && TINY[i - 1] !== '--arch');

test('an option never swallows the next flag as its value', async () => {
  const r = await cli('config', '--print', '--name', '--seed', '3');
  assert.equal(r.code, 2);
  assert.match(oneLine(r.err), /--name needs a value, but the next argument is the option --seed/);
  assert.equal(r.out, '');
  const out = await cli('poison', '--out', '--rate', '0.1');
  assert.equal(out.code, 2);
  assert.match(oneLine(out.err), /--out needs a value/);
  // A value that starts with - but is a number is a value; --flag=VALUE takes anything.
  const negative = await cli('config', '--print', '--seed', '-1');
  assert.equal(negative.code, 2);
  assert.match(oneLine(negative.err), /^abstain: seed: must be >= 0 \(got -1\)/, '-1 is the value (invalid), not a swallowed flag');
  assert.match((await cli('config', '--print', '--name=-x')).out, /^name: -x$/m);
});

test('config --explain and --print together are refused; help names an unknown command', async () => {
  const both = await cli('config', '--explain', '--print');
  assert.equal(both.code, 2);
  assert.match(oneLine(both.err), /'--explain' cannot be used with option '--print'/);
  const bogus = await cli('help', 'bogus');
  assert.equal(bogus.code, 2);
  assert.match(oneLine(bogus.err), /help: unknown command 'bogus'; the commands are demo, run/);
  assert.equal(bogus.out, '');
});

test('malformed and invalid flag values exit 2 everywhere; a bad config file exits 1', async () => {
  const abc = await cli('config', '--print', '--rate', 'abc');
  assert.equal(abc.code, 2);
  assert.match(oneLine(abc.err), /attack\.rate: must be number, > 0 and < 1 \(got "abc"\)/);
  assert.equal((await cli('reproduce', '--rates', '0.01,abc', '--list')).code, 2);
  assert.equal((await cli('poison', '--epochs', '1.5', '--out', join(tmp(), 'x'))).code, 2);
  const file = write(join(tmp(), 'bad.yaml'), 'attack: { rate: 7 }\n');
  assert.equal((await cli('config', '--print', file)).code, 1, 'the file is wrong, not the command line');
  assert.equal((await cli('config', '--print', file, '--epochs', '0')).code, 2, 'a bad flag makes it a usage error');
});

test('an empty config file is refused instead of starting the full default run', async () => {
  const dir = tmp();
  for (const text of ['', '# only a comment\n', '---\n']) {
    const r = await cli('run', write(join(dir, 'empty.yaml'), text), '--no-progress');
    assert.equal(r.code, 1);
    assert.match(oneLine(r.err), /empty\.yaml: the file is empty \(or only comments\); write the fields to change, or `\{\}`/);
  }
  assert.deepEqual(readdirSync(dir), ['empty.yaml'], 'nothing started');
  assert.equal((await cli('config', '--print', write(join(dir, 'all.yaml'), '{}\n'))).code, 0, '{} asks for the defaults explicitly');
});

test('a recursive YAML alias is named, not an internal error', async () => {
  const dir = tmp();
  for (const [text, at] of [['a: &x [*x]\n', 'a\\[0\\]'], ['attack: &x\n  rate: *x\n', 'attack\\.rate']]) {
    const r = await cli('config', '--print', write(join(dir, 'rec.yaml'), text));
    assert.equal(r.code, 1);
    assert.match(oneLine(r.err), new RegExp(`rec\\.yaml: ${at}: a YAML alias refers to a node that contains it`));
  }
});

test('.nan, .inf and 1e400 are reported as such, not as (got null)', async () => {
  const file = write(join(tmp(), 'nan.yaml'), 'attack: { rate: .nan }\ntrain: { optimizer: { lr: .inf } }\nseed: 1e400\n');
  const r = await cli('config', '--print', file);
  assert.equal(r.code, 1);
  assert.doesNotMatch(r.err, /null/);
  assert.match(r.err, /attack\.rate: must be number, > 0 and < 1 \(got \.nan: not a number\)/);
  assert.match(r.err, /train\.optimizer\.lr: must be number, > 0 \(got \.inf: infinite/);
  assert.match(r.err, /seed: must be integer, >= 0 \(got \.inf: infinite, or a numeral too large/);
  const flag = await cli('config', '--print', '--rate', '1e400');
  assert.equal(flag.code, 2);
  assert.match(oneLine(flag.err), /attack\.rate: .*\(got \.inf: infinite, or a numeral too large for a number\)/);
});

test("--out '' and a name that is a path are refused; nothing is written outside outDir", async () => {
  const dir = tmp();
  const empty = await cli('poison', '--out', '', '--dataset', 'synthetic');
  assert.equal(empty.code, 2);
  assert.match(oneLine(empty.err), /--out needs a folder/);
  const escape = await cli('poison', '--dataset', 'synthetic', '--set', `outDir=${join(dir, 'runs')}`, '--name', '../escape');
  assert.equal(escape.code, 2);
  assert.match(oneLine(escape.err), /name: must be a plain folder name, without \/ or \.\. \(got "\.\.\/escape"\)/);
  const file = write(join(dir, 'c.yaml'), `name: a/b\noutDir: ${join(dir, 'runs')}\n`);
  assert.equal((await cli('run', file)).code, 1);
  assert.equal((await cli('reproduce', '--out', '', '--list')).code, 2);
  assert.deepEqual(readdirSync(dir), ['c.yaml'], 'nothing written');
});

test('/dev/zero or a folder as the config, the model or a data file is refused at once', async () => {
  for (const bad of ['/dev/zero', tmp()]) {
    const what = bad === '/dev/zero' ? 'a character device' : 'a folder';
    const c = await cli('run', bad);
    assert.equal(c.code, 1);
    assert.match(oneLine(c.err), new RegExp(`cannot read the config file: ${what}, not a regular file`));
    for (const arch of [[], ['--arch', 'mlp']]) {
      const m = await cli('certify', '--model', bad, ...arch, ...NO_ARCH, '--out', join(tmp(), 'c'));
      assert.equal(m.code, 1, m.err);
      assert.match(oneLine(m.err), new RegExp(`cannot read the weights: ${what}, not a regular file`));
    }
  }
  const dir = tmp();
  mkdirSync(join(dir, 'train-images-idx3-ubyte'));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), '');
  const d = await cli('poison', '--dataset', 'mnist', '--data-dir', dir, '--out', join(tmp(), 'p'));
  assert.equal(d.code, 1);
  assert.match(oneLine(d.err), /train-images-idx3-ubyte .*: a folder, not a regular file/);
});

/** A model file of the tiny config's architecture, untrained. */
function tinyModel(dir: string): string {
  const model = buildModel('mlp', { seed: 0, inputShape: [1, 28, 28], numClasses: 10 });
  const file = join(dir, 'model.safetensors');
  saveModel(file, model, { architecture: 'mlp' });
  model.dispose();
  return file;
}

test('a corrupt safetensors file is reported as not valid safetensors, and why, not as an architecture mismatch', async () => {
  const dir = tmp();
  const good = readFileSync(tinyModel(dir));
  const n = Number(good.readBigUInt64LE(0));
  const header = JSON.parse(good.subarray(8, 8 + n).toString());
  const withHeader = (h: object) => {
    const json = Buffer.from(JSON.stringify(h));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([len, json, good.subarray(8 + n)]);
  };
  const first = Object.keys(header).find((k) => k !== '__metadata__')!;
  const cases: [string, Buffer, RegExp][] = [
    ['text', Buffer.from('this is a text file, not weights at all\n'), /header length of \d+, more than the \d+-byte file holds/],
    ['truncated', good.subarray(0, good.length - 100), /ends at byte \d+ of the data, but the file holds \d+ data bytes; the file is truncated/],
    ['bad-header', Buffer.concat([good.subarray(0, 8), Buffer.from('{"a": [1, 2'.padEnd(n, ' ')), good.subarray(8 + n)]), /the header is not JSON/],
    ['offsets', withHeader({ ...header, [first]: { ...header[first], data_offsets: [0, 1e12] } }), new RegExp(`tensor '${first.replace('.', '\\.')}' ends at byte 1000000000000`)],
    ['shape', withHeader({ ...header, [first]: { ...header[first], shape: [-1, 2] } }), /dimensions must be non-negative integers/],
  ];
  for (const [name, bytes, why] of cases) {
    const file = join(dir, `${name}.safetensors`);
    writeFileSync(file, bytes);
    for (const arch of [['--arch', 'mlp'], []]) {
      const r = await cli('certify', '--model', file, ...arch, ...NO_ARCH, '--out', join(dir, `out-${name}`));
      assert.equal(r.code, 1, `${name}: ${r.err}`);
      const line = oneLine(r.err);
      assert.match(line, new RegExp(`${name}\\.safetensors: not a valid safetensors file \\(`), name);
      assert.match(line, why, name);
      assert.doesNotMatch(line, /does not match|--arch|records no architecture/, name);
    }
  }
});

test('NaN weights are refused at load, naming the tensor', async () => {
  const dir = tmp();
  const model = buildModel('mlp', { seed: 0, inputShape: [1, 28, 28], numClasses: 10 });
  const names = Object.keys(model.stateDict());
  const file = join(dir, 'nan.safetensors');
  saveModel(file, model, { architecture: 'mlp' });
  model.dispose();
  // Poison one float of the last tensor in the file by hand.
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString());
  const last = names[names.length - 1];
  bytes.writeFloatLE(NaN, 8 + n + header[last].data_offsets[0] + 4);
  writeFileSync(file, bytes);
  const r = await cli('certify', '--model', file, ...TINY, '--out', join(dir, 'c'));
  assert.equal(r.code, 1);
  assert.match(oneLine(r.err), new RegExp(`nan\\.safetensors: tensor '${last.replace('.', '\\.')}' holds 1 non-finite value \\(NaN or infinity\\)`));
  assert.ok(!existsSync(join(dir, 'c', 'certs-clean-smoothing.jsonl')), 'nothing certified');
});

test('errno failures get their own line: --out is a file, a path through a file, no permission, a full disk', async () => {
  const dir = tmp();
  const file = write(join(dir, 'afile'), 'x');
  const asOut = await cli('poison', '--dataset', 'synthetic', '--out', file);
  assert.equal(asOut.code, 1);
  assert.match(oneLine(asOut.err), new RegExp(`${file} exists and is not a folder; give --out`));
  const through = await cli('poison', '--dataset', 'synthetic', '--out', join(file, 'sub'));
  assert.equal(through.code, 1);
  assert.match(oneLine(through.err), /part of this path is a file, not a folder/);

  // Permission denied, for real: as root, run the command as nobody; else take the folder's write bit.
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o755 });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o755); // nobody may enter, not write
  else chmodSync(locked, 0o555);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'abstain.js'), 'poison', '--dataset', 'synthetic', '--train-limit', '100', '--no-progress', '--out', join(locked, 'p')], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, ABSTAIN_DEBUG: '', HOME: dir },
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(oneLine(r.stderr), /^abstain: permission denied: cannot write .*locked\/p; choose a folder you may write to/);

  // ENOSPC and EROFS cannot be made on demand here: the mapping itself.
  const e = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: x, ${syscall} '${path}'`), { code, syscall, path });
  assert.match(errnoLine(e('ENOSPC', 'write', '/runs/x/model.safetensors'))!, /^no space left on the device while writing \/runs\/x\/model\.safetensors; free some space/);
  assert.match(errnoLine(e('EROFS', 'mkdir', '/ro/x'))!, /read-only file system/);
  assert.equal(errnoLine(new Error('plain')), undefined);
});

test('training that diverges is one line naming the fix', async () => {
  const r = await cli('train', ...TINY, '--no-baseline', '--lr', '1e30', '--out', join(tmp(), 't'));
  assert.equal(r.code, 1);
  const last = r.err.trim().split('\n').pop()!;
  assert.match(last, /^abstain: training diverged at epoch 1, step \d+ \(loss (NaN|Infinity)\), so the model is not saved; lower the learning rate/);
  assert.doesNotMatch(r.err, /unexpected error/);
});

test('a training batch too large for memory is refused with an estimate (its size is part of the method, so it is not split)', async () => {
  const r = await cli('train', '--dataset', 'synthetic', '--train-limit', '2000', '--arch', 'cifar-resnet', '--batch-size', '4000', '--no-baseline', '--no-progress', '--out', join(tmp(), 't'));
  assert.equal(r.code, 1);
  const last = r.err.trim().split('\n').pop()!;
  assert.match(last, /^abstain: a training step on 2020 samples \(train\.batchSize 4000\) would need about \d+\.\d GiB \(\d+ KiB per sample\); the limit is 8 GiB: use --batch-size \d+ or less$/);
  assert.doesNotMatch(r.err, /epoch 1\//, 'refused before training');
});
