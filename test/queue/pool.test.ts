// A pool on loopback: a real redis-server, the smoke grid handed to the queue, two worker
// processes, one killed with SIGKILL in the middle of a run. Every run must finish exactly once
// (the killed one resumed by the other worker from the checkpoints left in the shared folder),
// and the assembled table must equal the one a local run of the same grid writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openQueue, runStates, type RunQueue } from '../../src/queue/index.js';
import { tmp } from '../cli/helpers.js';
import { abstain, startRedis, type Proc } from './redis.js';

// One thread everywhere: results are bit-identical between processes with the same thread count.
const ENV = { ABSTAIN_THREADS: '1' };
const LEASE = '4'; // seconds: how long the killed worker's run waits before the other takes it

const tableLines = (md: string) => md.split('\n').filter((l) => l.startsWith('| '));
const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

test('reproduce --queue: two workers, one killed mid-run; every run finishes once and the table equals a local run', { timeout: 240_000 }, async () => {
  const dir = tmp('abstain-pool-');
  const results = join(dir, 'pool');
  const localOut = join(dir, 'local');
  const redis = await startRedis();
  const procs: Proc[] = [];
  let queue: RunQueue | undefined;
  try {
    // The reference: the same grid run in one process, meanwhile.
    const local = abstain(['reproduce', '--scale', 'smoke', '--out', localOut, '--no-progress'], ENV);
    procs.push(local);

    const enqueue = abstain(['reproduce', '--scale', 'smoke', '--queue', redis.url, '--results', results]);
    assert.equal(await enqueue.exited, 0, enqueue.out());
    assert.match(enqueue.out(), /4 runs on .*: 4 enqueued, 0 already in the queue/);
    const again = abstain(['reproduce', '--scale', 'smoke', '--queue', redis.url, '--results', results]);
    assert.equal(await again.exited, 0, again.out());
    assert.match(again.out(), /0 enqueued, 4 already in the queue/, 'enqueueing the same grid again adds nothing');

    const a = abstain(['worker', '--queue', redis.url, '--lease', LEASE], ENV);
    procs.push(a);
    const [, victim, victimJob] = await a.waitFor(/started (\S+) \(job (\S+),/);
    const b = abstain(['worker', '--queue', redis.url, '--lease', LEASE], ENV);
    procs.push(b);

    // Kill worker A once its run has saved its first stage (poison) in the shared folder.
    const stagesFile = join(results, victim, 'stages.json');
    const deadline = Date.now() + 60_000;
    let saved: string[] = [];
    while (Date.now() < deadline) {
      try {
        saved = Object.keys(readJson(stagesFile));
      } catch {
        saved = []; // not written yet
      }
      if (saved.length) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    a.child.kill('SIGKILL');
    assert.equal(await a.exited, null, 'worker A died of SIGKILL');
    assert.ok(saved.includes('poison'), `A had saved a stage before it died (${saved.join(', ')})`);
    assert.doesNotMatch(a.out(), new RegExp(`finished ${victim}`), 'A died in the middle of its run');
    queue = await openQueue(redis.url);
    assert.equal(await (await queue.getJob(victimJob))!.getState(), 'active', 'the run was still held by the dead worker');
    assert.ok(!existsSync(join(results, victim, 'summary.json')));

    // --wait returns once every run is done, with the table assembled from the runs' results.
    const wait = abstain(['reproduce', '--scale', 'smoke', '--queue', redis.url, '--results', results, '--wait'], ENV);
    procs.push(wait);
    assert.equal(await wait.exited, 0, wait.out());
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, b.out());
    assert.equal(await local.exited, 0, local.out());

    // Exactly once: each run finished by one worker, once; the victim was started twice.
    const logs = a.out() + b.out();
    const runs = Object.keys(readJson(join(localOut, 'timings.json')).cells);
    assert.equal(runs.length, 4);
    for (const run of runs) assert.equal(logs.match(new RegExp(`finished ${run} \\(job`, 'g'))?.length, 1, `${run} finished once`);
    assert.match(b.out(), new RegExp(`started ${victim} \\(job ${victimJob}, start 2`), 'B took over the killed run');
    const states = await runStates(queue, (await queue.getJobs(['completed'])).map((j) => j.id!));
    assert.equal(states.length, 4);
    const v = states.find((s) => s.id === victimJob)!;
    assert.equal(v.phase, 'done');
    assert.equal(v.error, undefined, 'a dead worker is not an error');
    assert.equal(v.attemptsStarted, 2);
    // Resumed from the dead worker's checkpoints: what it had saved was not computed again.
    for (const stage of saved) assert.ok(v.result!.skipped.includes(stage), `${stage} reused on resume (skipped: ${v.result!.skipped.join(', ')})`);
    assert.ok(!existsSync(join(results, victim, '.lock')), 'the lock was taken over and released');

    // The same table as the local run, to the last digit, and the same per-run figures.
    assert.deepEqual(tableLines(readFileSync(join(results, 'results.md'), 'utf8')), tableLines(readFileSync(join(localOut, 'results.md'), 'utf8')));
    assert.equal(tableLines(readFileSync(join(results, 'results.md'), 'utf8')).length, 2 + 4);
    assert.deepEqual(readJson(join(results, 'results.json')).rows, readJson(join(localOut, 'results.json')).rows);
    assert.ok(existsSync(join(results, 'report.html')));
    assert.deepEqual(tableLines(wait.out()), tableLines(readFileSync(join(localOut, 'results.md'), 'utf8')), 'the table is printed too');

    // --status after the fact: all done, and the table written again from the queue.
    const status = abstain(['reproduce', '--scale', 'smoke', '--queue', redis.url, '--results', results, '--status']);
    assert.equal(await status.exited, 0, status.out());
    assert.match(status.out(), /4\/4 done, 0 running, 0 failed, 0 waiting; all done/);
  } finally {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await queue?.close();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
