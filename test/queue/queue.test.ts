// The queue against a real redis-server on loopback: the cache lease, runs that fail (retried a
// bounded number of times, then listed by --status with their error, and put back by enqueueing
// again), a grid with seeds on the queue (the same mean ± sd table as locally), and the one-line
// errors of a missing Redis or bad flags.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisLease } from '../../src/queue/index.js';
import { cli, tmp } from '../cli/helpers.js';
import { abstain, freePort, startRedis, type Proc, type RedisServer } from './redis.js';

const ENV = { ABSTAIN_THREADS: '1' };
let redis: RedisServer;
let client: Redis;
let worker: Proc;
const dir = tmp('abstain-queue-');

before(async () => {
  redis = await startRedis();
  client = new Redis(redis.port, '127.0.0.1');
  worker = abstain(['worker', '--queue', redis.url, '--lease', '10'], ENV);
});

after(async () => {
  worker.child.kill('SIGTERM');
  const code = await worker.exited;
  client.disconnect();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, `the worker stops cleanly on SIGTERM:\n${worker.out()}`);
});

test('cache lease: one holder at a time; a waiter gets it on release, or when a dead holder lets it expire', async () => {
  const lines: string[] = [];
  const lease = redisLease(client, { prefix: 'test', ttlMs: 600, pollMs: 20, log: (l) => lines.push(l) });
  const release = await lease('baseline-1');
  let second = false;
  const waiting = lease('baseline-1').then((r) => ((second = true), r));
  await new Promise((r) => setTimeout(r, 1000)); // longer than the ttl: the holder keeps renewing it
  assert.equal(second, false, 'held while its holder lives');
  assert.match(lines[0], /^baseline-1: computed by \S+:\d+ right now; waiting for it to reach the cache$/);
  release();
  (await waiting)();
  assert.equal(second, true);
  // A holder that died: its key is left with a time-to-live and nobody renews it.
  await client.set('test:lease:baseline-2', 'dead-host:1:0:x', 'PX', 300);
  const t0 = Date.now();
  (await lease('baseline-2'))();
  assert.ok(Date.now() - t0 >= 250, 'taken only once the dead holder\'s lease expired');
  assert.equal(await client.exists('test:lease:baseline-1', 'test:lease:baseline-2'), 0, 'released leases are gone');
});

test('a run that throws is retried --attempts times, keeps its error, is listed by --status; enqueueing again puts it back', { timeout: 120_000 }, async () => {
  const grid = ['reproduce', '--scale', 'smoke', '--datasets', 'cifar10', '--certifiers', 'smoothing-0.25', '--rates', '0.01', '--data-dir', join(dir, 'no-cifar'), '--queue', redis.url, '--results', join(dir, 'failing')];
  const enq = await cli(...grid, '--attempts', '2', '--retry-delay', '0.2');
  assert.equal(enq.code, 0, enq.err);
  const run = 'cifar10-uncertainty-smoothing-0.25-rate0.01';
  const failures = (n: number) => new RegExp(`(?:[^]*?${run} failed: ){${n}}`);
  await worker.waitFor(failures(2), 60_000);
  let status = await cli(...grid, '--status');
  for (let i = 0; i < 50 && !/1 failed/.test(status.out); i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = await cli(...grid, '--status');
  }
  assert.equal(status.code, 1, status.out + status.err);
  assert.match(status.out, /^0\/1 done, 0 running, 1 failed, 0 waiting/);
  assert.match(status.out, new RegExp(`^ {2}failed {3}${run} \\(started 2 times\\): .*cifar`, 'm'), 'the error is kept and shown');
  assert.match(status.err, /^abstain: 1 run\(s\) failed for good .* run the same command without --status to try them again$/m);
  assert.equal((worker.out().match(new RegExp(`started ${run}`, 'g')) ?? []).length, 2, 'tried exactly --attempts times');
  const again = await cli(...grid);
  assert.match(again.err, /0 enqueued, 0 already in the queue, 1 failed ones put back/);
  await worker.waitFor(failures(3), 60_000);
});

test('--seeds 2 on the queue: the same mean ± sd table as a local run, with every seed in results.json', { timeout: 180_000 }, async () => {
  const grid = ['reproduce', '--scale', 'smoke', '--certifiers', 'smoothing-0.25', '--rates', '0.05', '--seeds', '2'];
  const local = abstain([...grid, '--out', join(dir, 'seeds-local'), '--no-progress'], ENV);
  const queued = await cli(...grid, '--queue', redis.url, '--results', join(dir, 'seeds-queue'), '--wait');
  assert.equal(queued.code, 0, queued.err);
  assert.equal(await local.exited, 0, local.out());
  const read = (d: string) => readFileSync(join(dir, d, 'results.md'), 'utf8').split('\n').filter((l) => l.startsWith('| synthetic'));
  assert.deepEqual(read('seeds-queue'), read('seeds-local'));
  const row = JSON.parse(readFileSync(join(dir, 'seeds-queue', 'results.json'), 'utf8')).rows[0];
  assert.deepEqual(row.perSeed.map((s: { seed: number }) => s.seed), [0, 1]);
  // Each seed's figures are its own run's summary; the row is their mean, ± their sample sd.
  for (const s of row.perSeed) {
    const summary = JSON.parse(readFileSync(join(dir, 'seeds-queue', `synthetic-uncertainty-smoothing-0.25-rate0.05-seed${s.seed}`, 'summary.json'), 'utf8'));
    assert.equal(s.fallbackRate, summary.certifiers.smoothing.triggered.fallbackRate);
  }
  const [a, b] = row.perSeed.map((s: { fallbackRate: number }) => s.fallbackRate);
  assert.ok(Math.abs(row.fallbackRate - (a + b) / 2) < 1e-12);
  assert.ok(Math.abs(row.sd.fallbackRate - Math.abs(a - b) / Math.SQRT2) < 1e-12, 'sample sd of two values: |a − b| / √2');
  assert.match(read('seeds-queue')[0], new RegExp(`\\| ${(100 * row.fallbackRate).toFixed(1)}% ± ${(100 * row.sd.fallbackRate).toFixed(1)} \\|`));
  assert.match(readFileSync(join(dir, 'seeds-queue', 'results.md'), 'utf8'), /mean over 2 seeds \(0, 1\) ± the sample standard deviation/);
});

test('--exit-when-idle: a worker runs what is queued, waits while a run is active anywhere, then stops by itself with 0', { timeout: 120_000 }, async () => {
  const grid = ['reproduce', '--scale', 'smoke', '--certifiers', 'smoothing-0.25', '--rates', '0.1', '--queue', redis.url, '--results', join(dir, 'idle')];
  const enq = await cli(...grid);
  assert.equal(enq.code, 0, enq.err);
  const idle = abstain(['worker', '--queue', redis.url, '--exit-when-idle', '1'], ENV);
  const code = await Promise.race([idle.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 100_000))]);
  if (code === 'late') idle.child.kill('SIGKILL');
  assert.equal(code, 0, `it stops by itself, cleanly:\n${idle.out()}`);
  assert.match(idle.out(), /the queue has been empty for 1 s: stopping/);
  // it left only once every run was done (by it or by the other worker), none still running
  const status = await cli(...grid, '--status');
  assert.match(status.out + status.err, /^(\d+)\/\1 done, 0 running, 0 failed, 0 waiting/m, status.out + status.err);
});

test('no Redis, bad URL, or flags that need --queue: one line each, no stack trace', async () => {
  const closed = await freePort();
  const t0 = Date.now();
  const down = await cli('reproduce', '--scale', 'smoke', '--queue', `redis://127.0.0.1:${closed}`, '--results', join(dir, 'x'));
  assert.equal(down.code, 1);
  assert.match(down.err, new RegExp(`^abstain: --queue redis://127\\.0\\.0\\.1:${closed}: cannot reach Redis \\(.*\\); start it \\(redis-server --port ${closed}\\) or fix the address\\n$`));
  assert.ok(Date.now() - t0 < 10_000, 'fails fast');
  const worker = await cli('worker', '--queue', `redis://127.0.0.1:${closed}`);
  assert.equal(worker.code, 1);
  assert.match(worker.err, /^abstain: --queue .*: cannot reach Redis/);
  const bad = await cli('reproduce', '--scale', 'smoke', '--queue', 'localhost:6379');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^abstain: --queue localhost:6379: the scheme must be redis:\/\//);
  for (const [flags, re] of [
    [['--status'], /^abstain: --status needs --queue redis:\/\/HOST:PORT/],
    [['--wait'], /^abstain: --wait needs --queue/],
    [['--queue', redis.url, '--force'], /^abstain: --force cannot be used with --queue/],
    [['--seeds', '0'], /^abstain: --seeds 0: give a positive whole number/],
    [['--out', 'a', '--results', 'b'], /^abstain: --results b and --out a: give one folder/],
  ] as const) {
    const r = await cli('reproduce', '--scale', 'smoke', ...flags);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
