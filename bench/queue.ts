// The job-queue benchmark (issue 12): `abstain reproduce --scale smoke` run by a pool of 1 and of
// 2 worker processes on this machine, against a redis-server it starts on a free loopback port,
// and the speed-up. Not a PyTorch comparison, so bench/run.mjs does not pick it up; run it with
//
//   npm run build && node dist/bench/queue.js [--rounds R] [--seeds N] [--scale smoke|small]
//
// Each configuration starts from an empty results folder and an empty Redis database; its
// workers start together with the enqueue (bench/results/queue.json; queue-seeds<N>.json with --seeds).
// Two times per round:
//   makespan  first run started → last run finished, from the queue's own timestamps (what a
//             large grid's time is made of; timings.json's totalSeconds);
//   wall      enqueue → table written (`reproduce --queue … --wait`; adds the workers' start-up,
//             about a second each for libtorch, and up to 2 s of --wait's polling).
// On a machine with C cores, 1 worker gets C threads and each of 2 workers C/2 (ABSTAIN_THREADS),
// so the pool never uses more cores than the single worker; the local run (no queue, one process,
// C threads) is the reference. Medians over the rounds; bench/results/queue.json gets them all.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkRedis, parseQueueUrl } from '../src/queue/index.js';
import { writeJsonAtomic } from '../src/util/atomic.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'abstain.js');

const args = { rounds: 2, seeds: 1, scale: 'smoke' };
for (let i = 2; i < process.argv.length; i++) {
  const k = process.argv[i];
  if (k === '--rounds') args.rounds = Number(process.argv[++i]);
  else if (k === '--seeds') args.seeds = Number(process.argv[++i]);
  else if (k === '--scale') args.scale = process.argv[++i];
  else throw new Error(`bench/queue: unknown option ${k} (use --rounds R, --seeds N, --scale S)`);
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

function run(argv: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, ...argv], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    c.on('exit', (code) => resolve({ code, out }));
  });
}

const cores = availableParallelism();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const grid = ['reproduce', '--scale', args.scale, ...(args.seeds > 1 ? ['--seeds', String(args.seeds)] : [])];

interface Measure {
  wall: number;
  makespan: number;
}

async function local(dir: string): Promise<Measure> {
  const t0 = Date.now();
  const r = await run([...grid, '--out', join(dir, 'local'), '--no-progress'], { ABSTAIN_THREADS: String(cores) });
  if (r.code !== 0) throw new Error(`local run failed:\n${r.out}`);
  const wall = (Date.now() - t0) / 1000;
  return { wall, makespan: JSON.parse(readFileSync(join(dir, 'local', 'timings.json'), 'utf8')).totalSeconds };
}

async function pool(dir: string, url: string, port: number, workers: number): Promise<Measure> {
  const client = new Redis(port, '127.0.0.1');
  await client.flushall();
  client.disconnect();
  const results = join(dir, `pool-${workers}`);
  const threads = String(Math.max(1, Math.floor(cores / workers)));
  const t0 = Date.now();
  const enq = await run([...grid, '--queue', url, '--results', results], {});
  if (enq.code !== 0) throw new Error(`enqueue failed:\n${enq.out}`);
  const procs = Array.from({ length: workers }, () => spawn(process.execPath, [bin, 'worker', '--queue', url], { cwd: root, env: { ...process.env, ABSTAIN_THREADS: threads }, stdio: 'ignore' }));
  const r = await run([...grid, '--queue', url, '--results', results, '--wait'], {});
  const wall = (Date.now() - t0) / 1000;
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => new Promise((res) => (p.exitCode !== null ? res(null) : p.once('exit', res)))));
  if (r.code !== 0) throw new Error(`the pool of ${workers} failed:\n${r.out}`);
  return { wall, makespan: JSON.parse(readFileSync(join(results, 'timings.json'), 'utf8')).totalSeconds };
}

const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    try {
      await checkRedis(parseQueueUrl(url), 1000);
      break;
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const runs: Record<string, Measure[]> = { local: [], 'pool-1': [], 'pool-2': [] };
  const load: number[] = [];
  for (let round = 0; round < args.rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'abstain-bench-queue-'));
    try {
      load.push(loadavg()[0]);
      runs.local.push(await local(dir));
      runs['pool-1'].push(await pool(dir, url, port, 1));
      runs['pool-2'].push(await pool(dir, url, port, 2));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    console.error(`round ${round + 1}/${args.rounds}: ${Object.entries(runs).map(([k, v]) => `${k} ${v.at(-1)!.makespan.toFixed(1)} s (wall ${v.at(-1)!.wall.toFixed(1)} s)`).join(', ')}`);
  }
  const med = (k: string, f: keyof Measure) => median(runs[k].map((m) => m[f]));
  const figures = {
    'local makespan': { value: med('local', 'makespan'), unit: 's', threads: cores },
    '1 worker makespan': { value: med('pool-1', 'makespan'), unit: 's', threadsPerWorker: cores },
    '2 workers makespan': { value: med('pool-2', 'makespan'), unit: 's', threadsPerWorker: Math.max(1, Math.floor(cores / 2)) },
    '1 worker wall': { value: med('pool-1', 'wall'), unit: 's' },
    '2 workers wall': { value: med('pool-2', 'wall'), unit: 's' },
    'speed-up makespan (1 → 2 workers)': { value: med('pool-1', 'makespan') / med('pool-2', 'makespan'), unit: '×' },
    'speed-up wall (1 → 2 workers)': { value: med('pool-1', 'wall') / med('pool-2', 'wall'), unit: '×' },
  };
  const result = { grid: grid.join(' '), figures, runs, rounds: args.rounds, machine: { cpus: cores, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version, loadavg: load }, date: new Date().toISOString() };
  writeJsonAtomic(join(root, 'bench', 'results', `queue${args.scale === 'smoke' ? '' : `-${args.scale}`}${args.seeds > 1 ? `-seeds${args.seeds}` : ''}.json`), result);
  console.log(`\nabstain ${grid.join(' ')} on a queue (${cores} cores; load average at the start of each round: ${load.map((l) => l.toFixed(1)).join(', ')})`);
  for (const [k, f] of Object.entries(figures)) console.log(`  ${k.padEnd(36)} ${f.value.toFixed(2)} ${f.unit}${'threadsPerWorker' in f ? `  (${f.threadsPerWorker} thread(s) per worker)` : 'threads' in f ? `  (${f.threads} threads, no queue)` : ''}`);
  console.log(JSON.stringify({ figures }));
} finally {
  redis.kill('SIGTERM');
}
