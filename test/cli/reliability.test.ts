// No silent mixing of results (issue 9), end to end with real processes and real Ctrl-C:
// a run folder is held by one process at a time; an interrupted certification is never resumed
// under another config or model; a folder written by another command is not taken as up to
// date; report refuses certificates that are corrupt or not this run's. Tiny synthetic runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildModel, saveModel } from '../../src/nn/index.js';
import { lockRunFolder } from '../../src/experiment/index.js';
import { cli, root, tmp, TINY } from './helpers.js';

interface Running {
  pid: number;
  err: () => string;
  signal: (s: NodeJS.Signals) => void;
  exit: Promise<{ code: number | null; at: number }>;
}

/** bin/abstain.js as a child process, stderr collected as it comes. */
function start(...argv: string[]): Running {
  const child = spawn(process.execPath, [join(root, 'bin', 'abstain.js'), ...argv], { cwd: root, env: { ...process.env, ABSTAIN_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdout.resume();
  const exit = new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  return { pid: child.pid!, err: () => err, signal: (s) => child.kill(s), exit };
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 60000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const partialIn = (dir: string, file: string) => (existsSync(dir) ? readdirSync(dir).find((f) => f.startsWith(`${file}.`) && f.endsWith('.partial')) : undefined);
const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean);
/** Certificates without their timing (the only field that differs between identical runs). */
const certs = (path: string) => lines(path).map((l) => {
  const { seconds: _s, ...rest } = JSON.parse(l);
  return rest;
});

/** Flags of a run certified in two chunks (smoothing certifies 50 inputs per chunk) of about the same length; one certifier, no baseline. */
const SLOW = (n: number) => [...TINY, '--no-baseline', '--certifier', 'smoothing', '--test-inputs', '100', '--set', 'data.testLimit=200', '--n', String(n)];

/** An untrained model of the tiny config's architecture (a "user's model" for certify). */
function userModel(dir: string, seed: number): string {
  const m = buildModel('mlp', { seed, inputShape: [1, 28, 28], numClasses: 10 });
  const file = join(dir, `user-${seed}.safetensors`);
  saveModel(file, m, { architecture: 'mlp' });
  m.dispose();
  return file;
}

test('every command that writes a run folder refuses one another process holds, naming its pid', async () => {
  const dir = tmp();
  const model = userModel(dir, 0);
  const reportDir = join(dir, 'rep');
  mkdirSync(reportDir);
  writeFileSync(join(reportDir, 'config.json'), JSON.stringify({ config: { name: 'rep', data: { dataset: 'synthetic' } } }));
  const config = join(dir, 'c.yaml');
  writeFileSync(config, '{}\n');
  const cases: [string, string[], string][] = [
    ['run', ['run', config, ...TINY, '--out', join(dir, 'r')], join(dir, 'r')],
    ['demo', ['demo', '--quick', '--no-progress', '--out', join(dir, 'd')], join(dir, 'd')],
    ['poison', ['poison', ...TINY, '--out', join(dir, 'p')], join(dir, 'p')],
    ['train', ['train', ...TINY, '--out', join(dir, 't')], join(dir, 't')],
    ['certify', ['certify', '--model', model, ...TINY, '--out', join(dir, 'c')], join(dir, 'c')],
    ['report', ['report', reportDir, '--no-progress'], reportDir],
    ['reproduce', ['reproduce', '--scale', 'smoke', '--no-progress', '--out', join(dir, 'g')], join(dir, 'g')],
  ];
  for (const [name, argv, folder] of cases) {
    mkdirSync(folder, { recursive: true });
    const release = lockRunFolder(folder);
    try {
      const r = await cli(...argv);
      assert.equal(r.code, 1, `${name}: ${r.err}`);
      // certify names the model it will certify first; nothing else may happen before the refusal.
      const said = r.err.trim().split('\n').filter((l) => !l.startsWith('certify: '));
      assert.equal(said.length, 1, `${name} stops at once:\n${r.err}`);
      assert.match(said[0], new RegExp(`^abstain: ${folder} is in use by process ${process.pid} \\(since `), name);
    } finally {
      release();
    }
  }
});

test('two processes, one folder: the second fails at once naming the first; Ctrl-C is acknowledged at once and acted on within a batch', async () => {
  const dir = tmp();
  const out = join(dir, 'shared');
  const config = join(dir, 'c.yaml');
  writeFileSync(config, '{}\n');
  // n = 2,000,000: the first chunk of this certification takes minutes; only a check between batches stops it in time.
  const first = start('run', config, ...SLOW(2_000_000), '--out', out);
  await waitFor('the first process to take the lock', () => existsSync(join(out, '.lock')));
  const second = start('run', config, ...SLOW(2_000_000), '--rate', '0.2', '--out', out);
  assert.equal((await second.exit).code, 1);
  assert.match(second.err(), new RegExp(`^abstain: ${out} is in use by process ${first.pid} \\(since `));
  assert.equal(second.err().trim().split('\n').length, 1);

  await waitFor('the certification to start', () => existsSync(join(out, 'model.safetensors')));
  await new Promise((r) => setTimeout(r, 500));
  // Two signals 50 ms apart (as a terminal's process group and npx deliver them): one request.
  const sent = Date.now();
  first.signal('SIGINT');
  await new Promise((r) => setTimeout(r, 50));
  first.signal('SIGINT');
  const acked = await waitFor('the acknowledgement', () => /Ctrl-C: stopping at the next safe point/.test(first.err()) && Date.now(), 20000);
  const { code, at } = await first.exit;
  assert.equal(code, 130, first.err());
  assert.ok(acked - sent < 5000, `acknowledged after ${acked - sent} ms`);
  assert.ok(at - sent < 10000, `stopped after ${at - sent} ms`);
  assert.equal(first.err().match(/Ctrl-C: stopping/g)?.length, 1, 'acknowledged once');
  assert.doesNotMatch(first.err(), /quitting at once/, 'the second signal was the same request');
  assert.match(first.err(), /abstain: certification interrupted; 0 of 100 inputs are saved in .*certs-clean-smoothing\.jsonl\.[0-9a-f]{16}\.partial \(run again to continue\)/);
  assert.ok(!existsSync(join(out, '.lock')), 'the lock is released');
});

/** Starts `argv`, sends Ctrl-C as soon as the clean certification has saved its first chunk, and returns that partial's certificates. */
async function interruptAfterFirstChunk(out: string, ...argv: string[]): Promise<Record<string, unknown>[]> {
  const p = start(...argv);
  // Read as soon as it appears (it is written whole, and renamed away when the set is done).
  const saved = await waitFor('the first saved chunk', () => {
    const partial = partialIn(out, 'certs-clean-smoothing.jsonl');
    try {
      return partial ? certs(join(out, partial)) : undefined;
    } catch {
      return undefined;
    }
  });
  p.signal('SIGINT');
  const { code } = await p.exit;
  assert.equal(code, 130, p.err());
  assert.equal(saved.length, 50, 'the first chunk was saved');
  return saved;
}

const sumOf = (c: Record<string, unknown>) => (c.counts as number[]).reduce((a, b) => a + b, 0);

test('an interrupted certification is not resumed after --n or --rate changed', async () => {
  const dir = tmp();
  const config = join(dir, 'c.yaml');
  writeFileSync(config, '{}\n');
  const out = join(dir, 'run');
  const run = (...flags: string[]) => ['run', config, ...flags, '--out', out];

  // --n: the partial's records were counted with n = 200; a resumed run with n = 100 must count 100 for every input.
  const stale = await interruptAfterFirstChunk(out, ...run(...SLOW(200)));
  assert.ok(stale.every((c) => sumOf(c) === 200));
  const changedN = await cli(...run(...SLOW(100)));
  assert.equal(changedN.code, 0, changedN.err);
  assert.doesNotMatch(changedN.err, /resuming after/);
  const afterN = certs(join(out, 'certs-clean-smoothing.jsonl'));
  assert.equal(afterN.length, 100);
  assert.ok(afterN.every((c) => sumOf(c) === 100), 'no certificate from the stale partial');

  // --rate: the same n, but another poisoned model; the result must equal an uninterrupted run of the new config.
  const before = await interruptAfterFirstChunk(out, ...run(...SLOW(200)));
  const changedRate = await cli(...run(...SLOW(200), '--rate', '0.1'));
  assert.equal(changedRate.code, 0, changedRate.err);
  assert.doesNotMatch(changedRate.err, /resuming after/);
  const fresh = join(dir, 'fresh');
  assert.equal((await cli('run', config, ...SLOW(200), '--rate', '0.1', '--out', fresh)).code, 0);
  const expected = certs(join(fresh, 'certs-clean-smoothing.jsonl'));
  assert.deepEqual(certs(join(out, 'certs-clean-smoothing.jsonl')), expected);
  assert.notDeepEqual(before.slice(0, 50), expected.slice(0, 50), 'the two models differ, so a mix would show');
});

test('certify into the same --out with another model after an interrupted one uses only the second model', async () => {
  const dir = tmp();
  const [m1, m2] = [userModel(dir, 1), userModel(dir, 2)];
  const out = join(dir, 'c');
  const certify = (model: string, folder: string) => ['certify', '--model', model, ...SLOW(200), '--out', folder];
  const first = await interruptAfterFirstChunk(out, ...certify(m1, out));
  const second = await cli(...certify(m2, out));
  assert.equal(second.code, 0, second.err);
  assert.doesNotMatch(second.err, /resuming after/);
  const ref = join(dir, 'ref');
  assert.equal((await cli(...certify(m2, ref))).code, 0);
  for (const f of ['certs-clean-smoothing.jsonl', 'certs-trigger-smoothing.jsonl']) assert.deepEqual(certs(join(out, f)), certs(join(ref, f)), f);
  assert.notDeepEqual(first.slice(0, 50), certs(join(ref, 'certs-clean-smoothing.jsonl')).slice(0, 50), 'the two models differ');
  // Resuming the same model still works: interrupt, then run the same command again.
  const again = join(dir, 'again');
  await interruptAfterFirstChunk(again, ...certify(m2, again));
  const resumed = await cli(...certify(m2, again));
  assert.equal(resumed.code, 0, resumed.err);
  assert.match(resumed.err, /certify smoothing \(clean\): resuming after 50 of 100 inputs/);
  assert.deepEqual(certs(join(again, 'certs-clean-smoothing.jsonl')), certs(join(ref, 'certs-clean-smoothing.jsonl')));
});

/** A finished tiny run (smoothing and ibp, with the baseline), made once and copied by the tests that need one. */
let finished: Promise<string> | undefined;
function finishedRun(): Promise<string> {
  finished ??= (async () => {
    const dir = join(tmp(), 'done');
    const config = join(tmp(), 'c.yaml');
    writeFileSync(config, '{}\n');
    const r = await cli('run', config, ...TINY, '--certifier', 'smoothing,ibp', '--out', dir);
    assert.equal(r.code, 0, r.err);
    return dir;
  })();
  return finished;
}
const copyRun = async () => {
  const to = join(tmp(), 'copy');
  cpSync(await finishedRun(), to, { recursive: true });
  return to;
};

test('certify --out into a run folder, then run: nothing of the other model is reported as up to date', async () => {
  const dir = await copyRun();
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config;
  const own = certs(join(dir, 'certs-clean-smoothing.jsonl'));
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).certifiers;
  const other = userModel(tmp(), 7);
  const c = await cli('certify', '--model', other, ...TINY, '--certifier', 'smoothing,ibp', '--out', dir);
  assert.equal(c.code, 0, c.err);
  assert.notDeepEqual(certs(join(dir, 'certs-clean-smoothing.jsonl')), own, 'certify wrote the other model\'s certificates');
  const yaml = join(tmp(), 'again.yaml');
  writeFileSync(yaml, JSON.stringify({ ...config, outDir: dirname(dir), name: basename(dir) }));
  const r = await cli('run', yaml, '--no-progress');
  assert.equal(r.code, 0, r.err);
  const skipped = /skipped \(up to date\): (.*)/.exec(r.out)?.[1].split(', ') ?? [];
  assert.ok(!skipped.some((s) => s.startsWith('certify-') && !s.includes('baseline')), `certify stages of the poisoned model were rerun: ${skipped}`);
  assert.deepEqual(certs(join(dir, 'certs-clean-smoothing.jsonl')), own, 'the run\'s own certificates again');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).certifiers, summary);
});

test('report: corrupt or foreign certificates are one clear line, never different numbers', async () => {
  const dir = await copyRun();
  const file = join(dir, 'certs-clean-smoothing.jsonl');
  const good = readFileSync(file, 'utf8');
  const ok = await cli('report', dir, '--no-progress');
  assert.equal(ok.code, 0, ok.err);
  /** The file with record i changed. */
  const edit = (i: number, change: (c: Record<string, unknown>) => void) =>
    good
      .split('\n')
      .map((l, j) => {
        if (j !== i || !l) return l;
        const c = JSON.parse(l);
        change(c);
        return JSON.stringify(c);
      })
      .join('\n');
  const cases: [string, string, RegExp][] = [
    ['label not a class', edit(2, (c) => (c.label = 12)), /certs-clean-smoothing\.jsonl:3: label 12 is not a class in 0\.\.9/],
    ['prediction out of range', edit(0, (c) => (c.prediction = 10)), /certs-clean-smoothing\.jsonl:1: prediction 10 is not "abstain" or a class in 0\.\.9/],
    ['negative radius', edit(1, (c) => ((c.radius = -0.5), (c.prediction = 0))), /certs-clean-smoothing\.jsonl:2: radius -0\.5 is not a finite number >= 0/],
    ['truncated mid-record', good.slice(0, Math.floor(good.length / 2)), /certs-clean-smoothing\.jsonl:\d+: not a JSON certificate \(the file is truncated\)/],
    ['truncated at a record', good.split('\n').slice(0, 5).join('\n') + '\n', /the certify-smoothing-clean stage has a certs-clean-smoothing\.jsonl that changed after abstain wrote it/],
    ['another run\'s valid file', readFileSync(join(dir, 'certs-baseline-smoothing.jsonl'), 'utf8'), /the certify-smoothing-clean stage has a certs-clean-smoothing\.jsonl that changed after abstain wrote it/],
  ];
  for (const [what, text, line] of cases) {
    writeFileSync(file, text);
    const r = await cli('report', dir, '--no-progress');
    assert.equal(r.code, 1, `${what}: ${r.err}`);
    // The report logs what data it loads; the failure is one abstain: line, the last.
    const errors = r.err.trim().split('\n').filter((l) => l.startsWith('abstain: '));
    assert.equal(errors.length, 1, `${what}: one line\n${r.err}`);
    assert.ok(r.err.trim().endsWith(errors[0]), what);
    assert.match(errors[0], line, what);
    assert.doesNotMatch(r.err, /unexpected error/, what);
  }
  writeFileSync(file, good);
  assert.equal((await cli('report', dir, '--no-progress')).code, 0, 'the original file reports again');
});
