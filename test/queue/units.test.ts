// The queue's pure parts: the --queue URL, job ids, the progress counts and ETA, the threads each
// pooled worker gets, and the plan of a grid with seeds. Nothing here needs Redis or the engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { detailLines, gridProgress, parseQueueUrl, progressLine, QueueError, runJobId, type RunState } from '../../src/queue/index.js';
import { threadsPerWorker } from '../../src/queue/pool.js';
import { planGrid } from '../../src/cli/reproduce.js';
import type { Summary } from '../../src/pipeline/index.js';

test('--queue URL: host, port and database; every malformed one is a single line naming the fix', () => {
  assert.deepEqual(parseQueueUrl('redis://127.0.0.1:6380/2'), { display: 'redis://127.0.0.1:6380/2', host: '127.0.0.1', port: 6380, db: 2, username: undefined, password: undefined, tls: false });
  const d = parseQueueUrl('redis://head');
  assert.equal(d.port, 6379);
  assert.equal(d.db, 0);
  const secret = parseQueueUrl('rediss://me:s3cret@head:7000');
  assert.equal(secret.password, 's3cret');
  assert.equal(secret.tls, true);
  assert.ok(!secret.display.includes('s3cret'), 'the password never reaches a message');
  for (const [url, why] of [
    ['localhost:6379', /scheme must be redis:\/\//],
    ['http://head:6379', /scheme must be redis:\/\//],
    ['redis://head:6379/queue', /"\/queue" is not a database number/],
    ['redis://head:6379/0?x=1', /query strings/],
    ['not a url', /not a URL/],
  ] as const) {
    assert.throws(() => parseQueueUrl(url), (e: Error) => e instanceof QueueError && why.test(e.message) && /e\.g\. --queue redis:\/\/127\.0\.0\.1:6379\/0/.test(e.message) && !e.message.includes('\n'), url);
  }
});

test('job ids: the same config gives the same id; any field (seed, results folder) gives another', () => {
  const cfg = loadConfig({}, { 'data.dataset': 'synthetic', outDir: '/shared/grid', name: 'cell' });
  assert.equal(runJobId(cfg), runJobId(loadConfig({}, { name: 'cell', outDir: '/shared/grid', 'data.dataset': 'synthetic' })));
  assert.match(runJobId(cfg), /^run-[0-9a-f]{32}$/);
  assert.notEqual(runJobId(cfg), runJobId({ ...cfg, seed: cfg.seed + 1 }));
  assert.notEqual(runJobId(cfg), runJobId({ ...cfg, outDir: '/shared/other' }));
});

const state = (phase: RunState['phase'], extra: Partial<RunState> = {}): RunState => ({ id: `run-${Math.random()}`, phase, attemptsMade: 0, attemptsStarted: phase === 'waiting' ? 0 : 1, ...extra });
const done = (seconds: number) => state('done', { result: { run: 'r', seed: 0, summary: {} as Summary, seconds, skipped: [], worker: 'h:1' } });

test('progress: counts, and an ETA from the mean run time shared among the workers', () => {
  const states = [done(10), done(30), state('running', { worker: 'h:1', startedAt: 1000 }), state('running'), state('waiting'), state('waiting'), state('retrying', { error: 'boom' }), state('failed', { error: 'bad data' })];
  const p = gridProgress(states, 2);
  assert.deepEqual(p.counts, { done: 2, running: 2, waiting: 2, retrying: 1, failed: 1, missing: 0 });
  assert.equal(p.meanSeconds, 20);
  // 3 still to start + 2 running at half = 4 runs of 20 s on 2 workers
  assert.equal(p.etaSeconds, 40);
  assert.equal(progressLine(p), '2/8 done, 2 running, 1 failed, 3 waiting (1 to retry after an error); ETA ~40 s (2 workers, 20 s per run)');
  assert.equal(gridProgress(states, 0).etaSeconds, 20 * 4 / 2, 'running runs count as workers when none is registered');
  assert.equal(gridProgress([state('waiting'), state('running')], 1).etaSeconds, null, 'no estimate before a run is done');
  assert.match(progressLine(gridProgress([state('waiting')], 0)), /no worker connected$/);
  assert.match(progressLine(gridProgress([done(5)], 1)), /1\/1 done.*all done$/);
  const lines = detailLines(states, new Map([[states[2].id, 'cell-a']]), 61_000);
  assert.deepEqual(lines.slice(0, 1), ['  running  cell-a on h:1 for 60 s']);
  assert.ok(lines.some((l) => /^ {2}retrying .* after an error: boom$/.test(l)));
  assert.ok(lines.some((l) => /^ {2}failed {3}.* \(started 1 time\): bad data$/.test(l)));
});

test('--concurrency N: each worker gets ABSTAIN_THREADS, else an equal share of the cores', () => {
  assert.equal(threadsPerWorker(2, {}, 8), 4);
  assert.equal(threadsPerWorker(3, {}, 8), 2);
  assert.equal(threadsPerWorker(4, {}, 2), 1, 'at least one');
  assert.equal(threadsPerWorker(2, { ABSTAIN_THREADS: '3' }, 8), 3);
  assert.equal(threadsPerWorker(2, { ABSTAIN_THREADS: 'x' }, 8), 4);
});

test('--seeds N: N runs per cell with seeds s..s+N-1, each its own folder; one seed keeps the cell name', () => {
  const filter = { certifiers: ['smoothing-0.25'], rates: [0.05] };
  const one = planGrid({ scale: 'smoke', filter }, {});
  assert.deepEqual(one.runs.map((r) => [r.name, r.seed]), [['synthetic-uncertainty-smoothing-0.25-rate0.05', 0]]);
  const three = planGrid({ scale: 'smoke', filter, seeds: 3 }, { seed: 7 });
  assert.deepEqual(three.runs.map((r) => [r.name, r.seed, r.cfg.seed, r.cfg.name]), [7, 8, 9].map((s) => [`synthetic-uncertainty-smoothing-0.25-rate0.05-seed${s}`, s, s, `synthetic-uncertainty-smoothing-0.25-rate0.05-seed${s}`]));
  assert.equal(new Set(three.runs.map((r) => runJobId(r.cfg))).size, 3);
  assert.throws(() => planGrid({ scale: 'smoke', filter, seeds: 0 }, {}), /--seeds 0: give a positive whole number/);
});
