// A certifier never certifies from NaN or infinite logits; smoothing keeps its batches within a
// memory budget (and says so); a certification stops between batches on Ctrl-C and resumes to
// exactly the certificates of an unbroken run (issue 9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Generator, linear, liveTensors, noGrad, tensor, type Tensor } from '../../src/tensor/index.js';
import { cappedBatchSize, NonFiniteLogitsError, Smooth, SMOOTHING_BATCH_BYTES } from '../../src/certify/index.js';
import { engine as smoothing } from '../../src/certify/smoothing.js';
import { loadConfig } from '../../src/config/index.js';
import { loadSource } from '../../src/data/index.js';
import { buildModel, type Module } from '../../src/nn/index.js';
import { CertificationInterrupted, certifySet } from '../../src/experiment/index.js';
import { setInterruptNotice } from '../../src/util/interrupt.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'abstain-rel-'));

test('smoothing refuses to count NaN logits (they would certify class 0 everywhere)', () => {
  const W = tensor([[0, 0], [1, -1], [0.5, 0.5]]);
  const B = tensor([0, 0, 0]);
  // Logits divided by 0 (infinite or NaN) whenever the first feature of the noisy sample is <= 0: a third of the samples.
  const nanWhenPositive = (x: Tensor) => linear(x, W, B).div(x.slice(1, 0, 1).gt(0).to('float32'));
  const smooth = new Smooth(nanWhenPositive, 3, 0.25, { generator: new Generator(0), batchSize: 64 });
  const inputs = tensor([[0.1, 0.2], [0.3, 0.4]]);
  const before = liveTensors();
  assert.throws(
    () => smooth.certifyMany(inputs, [0, 1], { n0: 10, n: 100, alpha: 0.001 }),
    (e: Error) => e instanceof NonFiniteLogitsError && /NaN or infinite logits on a noisy sample of input 0/.test(e.message),
  );
  assert.equal(liveTensors(), before, 'nothing leaks on the way out');
  const all = new Smooth((x) => linear(x, W, B).mul(Infinity), 3, 0.25, { generator: new Generator(0) });
  assert.throws(() => all.certify(tensor([0.1, 0.2]), 10, 100, 0.001), NonFiniteLogitsError);
});

const cfg = loadConfig({ seed: 3, data: { dataset: 'synthetic' }, certify: { kinds: ['smoothing', 'ibp'], smoothing: { n0: 20, n: 200, batchSize: 500 } } });
const data = loadSource('synthetic', { split: 'test', limit: 60, seed: 3 });
const mlp = () => {
  const m = buildModel('mlp', { seed: 1, inputShape: [1, 28, 28], numClasses: 10 });
  m.eval();
  return m;
};

test('every certifier stops on a model with NaN weights instead of certifying', async () => {
  const model = mlp();
  const [name, w] = Object.entries(model.stateDict())[0];
  noGrad(() => w.slice(0, 0, 1).mul_(NaN));
  for (const kind of ['smoothing', 'ibp']) {
    const dir = tmp();
    await assert.rejects(
      certifySet(cfg, kind, { name: 'clean', model, data }, { file: join(dir, 'certs.jsonl'), hash: 'h', resume: true }),
      (e: Error) => e instanceof NonFiniteLogitsError && /NaN or infinite logits on test input \d+ \(clean set\)/.test(e.message),
      `${kind} (${name} holds NaN)`,
    );
    assert.ok(!existsSync(join(dir, 'certs.jsonl')), `${kind}: no certificate file`);
  }
  model.dispose();
});

test('a huge smoothing batch is split to the memory budget, with a line saying so, and gives the capped batch size\'s certificates', () => {
  const perSample = 54152; // mnist-small, measured by bytesPerSample
  const capped = cappedBatchSize(100_000_000, perSample);
  assert.equal(capped.batchSize, Math.floor(SMOOTHING_BATCH_BYTES / perSample));
  assert.match(capped.note!, /^smoothing: batchSize 100000000 would need about 5043\.\d GiB per batch \(53 KiB per noisy sample\); using batches of \d+ to stay within 4\.0 GiB/);
  assert.deepEqual(cappedBatchSize(1000, perSample), { batchSize: 1000 });

  const model = mlp();
  const x = tensor(Array.from(data.images.subarray(0, 3 * 784)), [3, 1, 28, 28]);
  const lines: string[] = [];
  const o = { sigma: 0.25, n0: 20, n: 300, alpha: 0.001 };
  const huge = smoothing.certify(model, x, [0, 1, 2], { ...o, batchSize: 100_000_000 }, { seed: 5, numClasses: 10, log: (l) => lines.push(l) });
  assert.equal(lines.length, 1);
  const fits = Number(/using batches of (\d+)/.exec(lines[0])![1]);
  assert.ok(fits > 1000 && fits < 100_000_000, lines[0]);
  const explicit = smoothing.certify(model, x, [0, 1, 2], { ...o, batchSize: fits }, { seed: 5, numClasses: 10, log: (l) => lines.push(l) });
  assert.equal(lines.length, 1, 'no line when the batch fits');
  assert.deepEqual(huge.map((c) => c.counts), explicit.map((c) => c.counts));
  x.dispose();
  model.dispose();
});

test('Ctrl-C stops a certification between batches; the resumed run equals an unbroken one', async () => {
  const heard: string[] = [];
  const restore = setInterruptNotice((l) => heard.push(l));
  try {
    const model = mlp();
    const unbroken = await certifySet(cfg, 'smoothing', { name: 'clean', model, data }, { file: join(tmp(), 'certs.jsonl'), hash: 'h', resume: true });

    // The same model, with Ctrl-C arriving during its 30th forward pass (in the second chunk, between batches).
    const dir = tmp();
    let calls = 0;
    const interrupted = mlp();
    const forward = interrupted.forward.bind(interrupted);
    interrupted.forward = (x: Tensor) => {
      if (++calls === 30) process.emit('SIGINT');
      return forward(x);
    };
    const o = { file: join(dir, 'certs.jsonl'), hash: 'h', resume: true };
    await assert.rejects(certifySet(cfg, 'smoothing', { name: 'clean', model: interrupted, data }, o), (e: Error) => {
      assert.ok(e instanceof CertificationInterrupted);
      assert.match(e.message, /certification interrupted; 50 of 60 inputs are saved in .*certs\.jsonl\.h\.partial/);
      return true;
    });
    assert.ok(calls < 33, `stopped within a batch of the request (${calls} forward passes; the chunk has 7)`);
    assert.equal(heard.length, 1);
    assert.match(heard[0], /^abstain: Ctrl-C: stopping at the next safe point/);
    assert.deepEqual(readdirSync(dir), ['certs.jsonl.h.partial']);
    const resumed = await certifySet(cfg, 'smoothing', { name: 'clean', model: interrupted, data }, o);
    const strip = (cs: { seconds?: number }[]) => cs.map(({ seconds: _s, ...c }) => c);
    assert.deepEqual(strip(resumed), strip(unbroken));
    model.dispose();
    interrupted.dispose();
  } finally {
    setInterruptNotice(restore);
  }
});

test('interrupt: signals within a second are one request; a later one quits at once', async () => {
  const { spawn } = await import('node:child_process');
  const url = new URL('../../src/util/interrupt.js', import.meta.url).href;
  // Waits for Ctrl-C without ever stopping by itself (like a step that takes long to finish).
  const script = `const { withInterruptHandler, interruptRequested } = await import(${JSON.stringify(url)});
await withInterruptHandler(async () => { process.stdout.write('ready\\n'); for (;;) { await new Promise((r) => setTimeout(r, 10)); if (interruptRequested()) process.stdout.write('requested\\n'); } });`;
  const run = async (gapMs: number) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (s) => (out += s));
    child.stderr.on('data', (s) => (err += s));
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, gapMs));
    child.kill('SIGINT');
    const code = await Promise.race([exit, new Promise<'running'>((r) => setTimeout(() => r('running'), 800))]);
    if (code === 'running') child.kill('SIGKILL');
    return { code, out, err };
  };
  const same = await run(100);
  assert.equal(same.code, 'running', 'a second signal within a second is the same request');
  assert.equal(same.err.match(/Ctrl-C: stopping at the next safe point/g)?.length, 1);
  assert.match(same.err, /press Ctrl-C again \(more than 1 s from now\) to quit at once/);
  assert.match(same.out, /requested/);
  const force = await run(1300);
  assert.equal(force.code, 130, force.err);
  assert.match(force.err, /second Ctrl-C: quitting at once/);

  // Work that stops at once, then exits as the command line does (settleInterrupt): the rest of the same request must not kill it by the signal.
  const stopping = `const { withInterruptHandler, interruptRequested, settleInterrupt } = await import(${JSON.stringify(url)});
await withInterruptHandler(async () => { process.stdout.write('ready\\n'); while (!interruptRequested()) await new Promise((r) => setTimeout(r, 5)); });
await settleInterrupt(); process.exitCode = 130;`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', stopping], { stdio: ['ignore', 'pipe', 'pipe'] });
  let ready = '';
  child.stdout.on('data', (s) => (ready += s));
  const exit = new Promise<[number | null, string | null]>((r) => child.on('exit', (code, signal) => r([code, signal])));
  while (!ready.includes('ready')) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  assert.deepEqual(await exit, [130, null], 'exits with 130, not by the second signal');
});
