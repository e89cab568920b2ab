// `abstain reproduce … --queue redis://HOST:PORT[/DB]`: hands the grid's runs to a pool of
// `abstain worker`s instead of running them here. The same command enqueues (runs already in the
// queue are left alone, failed ones are tried again), reports progress (--status: enqueue
// nothing) and, once every run is done, writes the table and report from the runs' results with
// the same code as a local run (reproduce-results.ts). --wait stays until then.
import { mkdirSync } from 'node:fs';
import { defaultVersions } from '../report/index.js';
import { detailLines, enqueueRuns, gridProgress, openQueue, parseQueueUrl, progressLine, runJobId, runStates } from '../queue/index.js';
import type { Io } from './io.js';
import { writeGridResults, type GridPlan, type RunOutcome } from './reproduce-results.js';

export interface QueueChoices {
  queue: string;
  status?: boolean;
  wait?: boolean;
  attempts: number;
  /** Before the first retry of a failed run (ms), doubled for each further one. */
  retryDelayMs: number;
  /** How often --wait looks at the queue (ms). */
  pollMs?: number;
}

export async function reproduceOnQueue(plan: GridPlan, o: QueueChoices, io: Io): Promise<number> {
  const where = parseQueueUrl(o.queue).display;
  const queue = await openQueue(o.queue);
  try {
    const ids = plan.runs.map((r) => runJobId(r.cfg));
    const names = new Map(ids.map((id, i) => [id, plan.runs[i].name]));
    if (!o.status) {
      mkdirSync(plan.out, { recursive: true });
      const version = defaultVersions().abstain;
      const runs = plan.runs.map((r, i) => ({ id: ids[i], data: { run: r.name, seed: r.seed, config: r.cfg, abstain: version } }));
      const rep = await enqueueRuns(queue, runs, { attempts: o.attempts, backoffMs: o.retryDelayMs });
      io.err.write(`reproduce --scale ${plan.scale.name}: ${plan.runs.length} runs on ${where}: ${rep.added} enqueued, ${rep.present} already in the queue${rep.retried ? `, ${rep.retried} failed ones put back` : ''}; results in ${plan.out}\n`);
    }
    let lastCounts = '';
    for (;;) {
      const states = await runStates(queue, ids);
      const p = gridProgress(states, await queue.getWorkersCount());
      const { done, running, waiting, retrying, failed, missing } = p.counts;
      if (done === p.total) {
        io.err.write(`${progressLine(p)}\n`);
        const outcomes = new Map<string, RunOutcome>();
        for (const s of states) outcomes.set(s.result!.run, { run: s.result!.run, seed: s.result!.seed, summary: s.result!.summary, seconds: s.result!.seconds, skipped: s.result!.skipped });
        const first = Math.min(...states.map((s) => s.startedAt ?? Infinity));
        const last = Math.max(...states.map((s) => s.finishedAt ?? 0));
        await writeGridResults(plan, outcomes, Number.isFinite(first) && last > first ? (last - first) / 1000 : 0, io);
        return 0;
      }
      const pending = running + waiting + retrying;
      if (o.wait && pending > 0) {
        const counts = JSON.stringify(p.counts);
        if (counts !== lastCounts) io.err.write(`${progressLine(p)}\n`);
        lastCounts = counts;
        await new Promise((r) => setTimeout(r, o.pollMs ?? 2000));
        continue;
      }
      // Not waiting (or nothing left to wait for): report where the grid stands.
      const report = o.wait ? io.err : io.out;
      report.write([progressLine(p), ...detailLines(states, names)].join('\n') + '\n');
      if (missing) io.err.write(`abstain: ${missing} run(s) of this grid are not in the queue; run the same command without --status to enqueue them (the grid flags must be the same as when it was enqueued)\n`);
      if (failed && !pending) {
        io.err.write(`abstain: ${failed} run(s) failed for good (errors above); fix the cause and run the same command without --status to try them again\n`);
        return 1;
      }
      if (missing && !pending) return 1;
      io.err.write(`the table is written once every run is done: run this command again with --status (or --wait) to follow; workers: abstain worker --queue ${where}\n`);
      return 0;
    }
  } finally {
    await queue.close();
  }
}
