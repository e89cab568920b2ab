// Randomized smoothing (Cohen, Rosenfeld & Kolter, ICML 2019), after their code/core.py.
//
// The smoothed classifier g(x) = argmax_c P(f(x + ε) = c), ε ~ N(0, σ² I), of a base classifier
// f. PREDICT and CERTIFY estimate g from Monte Carlo samples of f under Gaussian noise and
// either answer with a guarantee or abstain. Noise comes from one seeded Generator, consumed in
// input order, so a run is reproducible from its seed; images are not clipped after noise is
// added (as in Cohen et al.). Sampling runs on the inputs' device, which must be the generator's
// and the base classifier's.
import { Generator, Tensor, inferenceMode, noGrad, sameDevice, tidy, workingBytes, zeros } from '../tensor/index.js';
import { verdict, type CertificateCore } from './certificate.js';
import { NonFiniteLogitsError, type CertifierEngine } from './engine.js';
import { BatchNorm2d, type Module } from '../nn/index.js';
import { binomialTestTwoSided, clopperPearsonLower, normalInverseCdf } from './stats.js';

/** Logits [B, K] of the base classifier f for a batch of inputs [B, ...]. */
export type BaseClassifier = (x: Tensor) => Tensor;

export const ABSTAIN = 'abstain' as const;

export interface SmoothOptions {
  /** The source of all noise; seed it from the run's seed. */
  generator: Generator;
  /** Noise samples per call of the base classifier (default 1000). */
  batchSize?: number;
}

/** The answer of CERTIFY for one input. */
export interface SmoothCertification {
  /** ĉA, or "abstain" when pALower < 1/2. */
  prediction: number | typeof ABSTAIN;
  /** σ · Φ⁻¹(pALower); 0 when abstaining. */
  radius: number;
  /** The one-sided (1 − alpha) Clopper–Pearson lower bound on pA. */
  pALower: number;
  /** Estimation counts per class (n samples). */
  counts: number[];
  /** Selection counts per class (n0 samples). */
  selectionCounts: number[];
}

/** The answer of PREDICT for one input. */
export interface SmoothPrediction {
  prediction: number | typeof ABSTAIN;
  /** Counts per class (n samples). */
  counts: number[];
  /** p-value of the two-sided binomial test of the top two counts. */
  pValue: number;
}

export interface CertifyManyOptions {
  n0: number;
  n: number;
  alpha: number;
  /** Overrides the batch size given to the constructor. */
  batchSize?: number;
  /** Called after each batch of the base classifier with the number of inputs finished. */
  onProgress?: (done: number, total: number) => void;
}

export interface PredictManyOptions {
  n: number;
  alpha: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** A request for `num` noise samples around input `input`. */
interface Request {
  input: number;
  num: number;
}

function checkPositiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`smoothing: ${name} ${v} must be an integer >= 1`);
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`smoothing: alpha ${alpha} is outside (0, 1)`);
}

/** Index of the largest count (the lowest index among ties). */
function argmaxCounts(counts: number[]): number {
  let best = 0;
  for (let c = 1; c < counts.length; c++) if (counts[c] > counts[best]) best = c;
  return best;
}

/** Indices of the two largest counts, largest first (lowest index first among ties). */
function topTwo(counts: number[]): [number, number] {
  const a = argmaxCounts(counts);
  let b = a === 0 ? 1 : 0;
  for (let c = 0; c < counts.length; c++) if (c !== a && counts[c] > counts[b]) b = c;
  return [a, b];
}

export class Smooth {
  readonly generator: Generator;
  readonly batchSize: number;

  /**
   * @param baseClassifier f: maps a batch [B, ...] to logits [B, numClasses]
   * @param numClasses the number of classes K
   * @param sigma the noise level σ > 0
   */
  constructor(
    readonly baseClassifier: BaseClassifier,
    readonly numClasses: number,
    readonly sigma: number,
    opts: SmoothOptions,
  ) {
    if (!Number.isSafeInteger(numClasses) || numClasses < 2) {
      throw new RangeError(`smoothing: numClasses ${numClasses} must be an integer >= 2`);
    }
    if (!(sigma > 0 && Number.isFinite(sigma))) throw new RangeError(`smoothing: sigma ${sigma} must be finite and > 0`);
    if (!(opts?.generator instanceof Generator)) throw new TypeError('smoothing: opts.generator must be a Generator (seed it from the run)');
    this.generator = opts.generator;
    this.batchSize = opts.batchSize ?? 1000;
    checkPositiveInt('batchSize', this.batchSize);
  }

  /**
   * CERTIFY: Monte Carlo certification of the smoothed classifier g around x.
   * With probability at least 1 − alpha over the noise, if the returned class is not
   * "abstain" then g predicts it everywhere in the L2 ball of the returned radius around x.
   * @param x one input, without a batch dimension (e.g. [1, 28, 28])
   * @param n0 selection samples (to guess the top class ĉA)
   * @param n estimation samples (to lower-bound pA)
   * @param alpha failure probability
   */
  certify(x: Tensor, n0: number, n: number, alpha: number): SmoothCertification {
    checkPositiveInt('n0', n0);
    checkPositiveInt('n', n);
    checkAlpha(alpha);
    const images = tidy(() => x.unsqueeze(0));
    try {
      // draw samples for selection, then for estimation (independent noise)
      const [counts0] = this.sampleCounts(images, [{ input: 0, num: n0 }]);
      const cAHat = argmaxCounts(counts0);
      const [counts] = this.sampleCounts(images, [{ input: 0, num: n }]);
      return this.decideCertify(cAHat, counts0, counts, n, alpha);
    } finally {
      images.dispose();
    }
  }

  /**
   * PREDICT: evaluates the smoothed classifier g at x.
   * With probability at least 1 − alpha over the noise, the returned class (when not
   * "abstain") equals g(x).
   * @param x one input, without a batch dimension
   * @param n samples
   * @param alpha failure probability
   */
  predict(x: Tensor, n: number, alpha: number): number | typeof ABSTAIN {
    return this.predictDetailed(x, n, alpha).prediction;
  }

  /** PREDICT, also returning the counts and the binomial test's p-value. */
  predictDetailed(x: Tensor, n: number, alpha: number): SmoothPrediction {
    checkPositiveInt('n', n);
    checkAlpha(alpha);
    const images = tidy(() => x.unsqueeze(0));
    try {
      const [counts] = this.sampleCounts(images, [{ input: 0, num: n }]);
      return decidePredict(counts, alpha);
    } finally {
      images.dispose();
    }
  }

  /**
   * CERTIFY for many inputs, with the noise samples of consecutive inputs packed into full
   * batches of the base classifier. Noise is consumed in the same order as calling `certify`
   * on each input in turn (selection then estimation, input by input), so each certificate has
   * the same guarantee as `certify`'s: with probability at least 1 − alpha (per input), a
   * non-abstaining prediction is g's everywhere in the L2 ball of the given radius.
   * @param images the inputs [N, ...]
   * @param labels the true labels (N)
   */
  certifyMany(images: Tensor, labels: ArrayLike<number>, o: CertifyManyOptions): CertificateCore[] {
    const { requests, N } = this.certifyRequests(images, labels, o);
    const seconds = new Array<number>(requests.length).fill(0);
    const counts = this.sampleCounts(images, requests, o.batchSize, seconds, (doneRequests) => o.onProgress?.(Math.floor(doneRequests / 2), N));
    return this.certifyDecisions(labels, counts, seconds, o);
  }

  /**
   * certifyMany that awaits `between()` after every batch of the base classifier, so that the
   * caller can handle signals (Ctrl-C) and stop mid-way by throwing from it. The noise and the
   * certificates are exactly certifyMany's.
   */
  async certifyManyAsync(images: Tensor, labels: ArrayLike<number>, o: CertifyManyOptions & { between: () => Promise<void> }): Promise<CertificateCore[]> {
    const { requests, N } = this.certifyRequests(images, labels, o);
    const seconds = new Array<number>(requests.length).fill(0);
    const batches = this.countBatches(images, requests, o.batchSize, seconds, (doneRequests) => o.onProgress?.(Math.floor(doneRequests / 2), N));
    try {
      for (;;) {
        const step = batches.next();
        if (step.done) return this.certifyDecisions(labels, step.value, seconds, o);
        await o.between();
      }
    } finally {
      batches.return?.(); // frees the noise buffer when between() stops the loop
    }
  }

  /** The sample requests of CERTIFY for every input: selection (n0) then estimation (n), input by input. */
  private certifyRequests(images: Tensor, labels: ArrayLike<number>, o: CertifyManyOptions): { requests: Request[]; N: number } {
    const { n0, n, alpha } = o;
    checkPositiveInt('n0', n0);
    checkPositiveInt('n', n);
    checkAlpha(alpha);
    const N = images.shape[0];
    if (labels.length !== N) throw new RangeError(`smoothing: ${labels.length} labels for ${N} images`);
    const requests: Request[] = [];
    for (let i = 0; i < N; i++) requests.push({ input: i, num: n0 }, { input: i, num: n });
    return { requests, N };
  }

  private certifyDecisions(labels: ArrayLike<number>, counts: number[][], seconds: number[], o: CertifyManyOptions): CertificateCore[] {
    const out: CertificateCore[] = [];
    for (let i = 0; i < labels.length; i++) {
      const counts0 = counts[2 * i];
      const r = this.decideCertify(argmaxCounts(counts0), counts0, counts[2 * i + 1], o.n, o.alpha);
      const label = labels[i];
      out.push({
        index: i,
        label,
        prediction: r.prediction,
        radius: r.radius,
        norm: 'l2',
        ...verdict(label, r.prediction, r.radius),
        certifier: 'smoothing',
        counts: r.counts,
        pALower: r.pALower,
        seconds: seconds[2 * i] + seconds[2 * i + 1],
      });
    }
    return out;
  }

  /** PREDICT for many inputs, samples packed into full batches (noise in input order). */
  predictMany(images: Tensor, o: PredictManyOptions): SmoothPrediction[] {
    checkPositiveInt('n', o.n);
    checkAlpha(o.alpha);
    const N = images.shape[0];
    const requests: Request[] = [];
    for (let i = 0; i < N; i++) requests.push({ input: i, num: o.n });
    const counts = this.sampleCounts(images, requests, o.batchSize, undefined, (done) => o.onProgress?.(done, N));
    return counts.map((c) => decidePredict(c, o.alpha));
  }

  private decideCertify(cAHat: number, counts0: number[], counts: number[], n: number, alpha: number): SmoothCertification {
    const nA = counts[cAHat];
    const pALower = clopperPearsonLower(nA, n, alpha);
    if (pALower < 0.5) return { prediction: ABSTAIN, radius: 0, pALower, counts, selectionCounts: counts0 };
    return { prediction: cAHat, radius: this.sigma * normalInverseCdf(pALower), pALower, counts, selectionCounts: counts0 };
  }

  /**
   * Counts of the base classifier's predictions under noise, one array of K counts per request.
   * Requests are served in order; their samples are packed into batches of batchSize (a batch
   * may hold the tail of one request and the head of the next), and the noise for a batch is
   * drawn in one call, so the generator is consumed in request order.
   */
  private sampleCounts(
    images: Tensor,
    requests: Request[],
    batchSize = this.batchSize,
    seconds?: number[],
    onBatch?: (doneRequests: number) => void,
  ): number[][] {
    const batches = this.countBatches(images, requests, batchSize, seconds, onBatch);
    for (;;) {
      const step = batches.next();
      if (step.done) return step.value;
    }
  }

  /**
   * sampleCounts one batch at a time: yields after each batch, returns the counts. Each batch runs
   * in inference mode (no autograd bookkeeping), and one noise buffer serves every batch:
   * normal_(0, σ) draws in place exactly what randn(...)·σ would, from the same generator in the
   * same order. The buffer is freed when the iteration ends, however it ends (return() included).
   */
  private *countBatches(
    images: Tensor,
    requests: Request[],
    batchSize = this.batchSize,
    seconds?: number[],
    onBatch?: (doneRequests: number) => void,
  ): Iterator<void, number[][]> {
    checkPositiveInt('batchSize', batchSize);
    if (!sameDevice(images.device, this.generator.device)) {
      throw new RangeError(
        `smoothing: the inputs are on ${images.device} but the noise generator is on ${this.generator.device}; ` +
          `create it on the inputs' device (new Generator(seed, '${images.device}'))`,
      );
    }
    const K = this.numClasses;
    const sampleShape = images.shape.slice(1);
    const counts = requests.map(() => new Array<number>(K).fill(0));
    const total = requests.reduce((n, q) => n + q.num, 0);
    let buffer: Tensor | undefined;
    try {
      let r = 0; // current request
      let doneInR = 0; // samples of request r already drawn
      while (r < requests.length) {
        const t0 = performance.now();
        // the pieces of this batch: [request, count]
        const pieces: [number, number][] = [];
        let size = 0;
        while (size < batchSize && r < requests.length) {
          const take = Math.min(batchSize - size, requests[r].num - doneInR);
          if (take > 0) pieces.push([r, take]);
          size += take;
          doneInR += take;
          if (doneInR === requests[r].num) {
            r++;
            doneInR = 0;
          }
        }
        if (size === 0) break;
        const preds = inferenceMode(() => {
          buffer ??= zeros([Math.min(batchSize, total), ...sampleShape], 'float32', images.device);
          const noise = buffer;
          return tidy(() => {
            const batch = size === noise.shape[0] ? noise : noise.slice(0, 0, size);
            batch.normal_(0, this.sigma, this.generator);
            let at = 0;
            for (const [q, m] of pieces) {
              const i = requests[q].input;
              batch.slice(0, at, at + m).add_(images.slice(0, i, i + 1));
              at += m;
            }
            const logits = this.baseClassifier(batch);
            if (logits.rank !== 2 || logits.shape[0] !== size || logits.shape[1] !== K) {
              throw new RangeError(`smoothing: the base classifier returned shape [${logits.shape.join(', ')}], expected [${size}, ${K}]`);
            }
            // argmax of NaN logits is class 0 (or whichever is NaN): counting it would certify garbage.
            if (!Number.isFinite(logits.abs().max().item())) {
              const bad = logits.isfinite().logicalNot().sum(1).toArray().findIndex((v) => v > 0);
              let at = 0;
              const piece = pieces.find(([, m]) => (at += m) > bad)!;
              throw new NonFiniteLogitsError(
                `smoothing: the model gave NaN or infinite logits on a noisy sample of input ${requests[piece[0]].input}; ` +
                  'no certificate can be computed from them (are its weights broken, or did training diverge?)',
              );
            }
            return logits.argmax(1).toArray();
          });
        });
        let at = 0;
        for (const [q, m] of pieces) {
          const c = counts[q];
          for (let j = at; j < at + m; j++) c[preds[j]]++;
          at += m;
        }
        if (seconds) {
          const dt = (performance.now() - t0) / 1000;
          for (const [q, m] of pieces) seconds[q] += (dt * m) / size;
        }
        onBatch?.(r);
        yield;
      }
      return counts;
    } finally {
      buffer?.dispose();
    }
  }
}

/** PREDICT's decision: the top class if the binomial test of the top two counts rejects 1/2. */
function decidePredict(counts: number[], alpha: number): SmoothPrediction {
  const [a, b] = topTwo(counts);
  const nA = counts[a];
  const nB = counts[b];
  const pValue = nA + nB === 0 ? 1 : binomialTestTwoSided(nA, nA + nB);
  return { prediction: pValue > alpha ? ABSTAIN : a, counts, pValue };
}

/** The options of the `smoothing` kind (src/catalog/certifiers.ts holds their schema and defaults). */
export interface SmoothingOptions {
  sigma: number;
  n0: number;
  n: number;
  alpha: number;
  batchSize: number;
}

/**
 * Memory a batch of the base classifier may take. tidy keeps every intermediate of a batch alive
 * until the batch ends, so a batch needs about batchSize times the working memory of one noisy
 * sample; larger batches are split (deterministically, so results stay reproducible).
 */
export const SMOOTHING_BATCH_BYTES = 4 * 2 ** 30;

/** Bytes one noisy sample takes in a batch of the base classifier (its noise, the forward pass). */
export function bytesPerSample(model: Module, images: Tensor): number {
  // the forward pass of one sample (its input counted as the noise tensor), plus the slice of the noisy batch it reads
  const input = images.shape.slice(1).reduce((a, b) => a * b, 1) * 4;
  return workingBytes(() => noGrad(() => model.forward(images.slice(0, 0, 1).clone()))) + input;
}

/** The batch size to use: the configured one, or the largest that fits the memory budget (with the line saying so). */
export function cappedBatchSize(batchSize: number, perSample: number, budget = SMOOTHING_BATCH_BYTES): { batchSize: number; note?: string } {
  const fits = Math.max(1, Math.floor(budget / Math.max(perSample, 1)));
  if (batchSize <= fits) return { batchSize };
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 1)} GiB`;
  return {
    batchSize: fits,
    note:
      `smoothing: batchSize ${batchSize} would need about ${gib(batchSize * perSample)} per batch (${Math.ceil(perSample / 1024)} KiB per noisy sample); ` +
      `using batches of ${fits} to stay within ${gib(budget)} (set certify.smoothing.batchSize to at most ${fits} to silence this)`,
  };
}

function smoothFor(model: Module, images: Tensor, o: SmoothingOptions, ctx: { seed: number; numClasses: number; log?: (line: string) => void }): Smooth {
  for (const [name, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d && m.training) {
      throw new Error(`smoothing: BatchNorm2d${name ? ` '${name}'` : ''} is in train mode; call model.eval() before certifying`);
    }
  }
  const { batchSize, note } = images.shape[0] ? cappedBatchSize(o.batchSize, bytesPerSample(model, images)) : { batchSize: o.batchSize };
  if (note) ctx.log?.(note);
  return new Smooth((x) => model.forward(x), ctx.numClasses, o.sigma, { generator: new Generator(ctx.seed, model.device), batchSize });
}

/** CERTIFY on every input, noise from a generator seeded by the context (one per chunk of inputs). */
export const engine: CertifierEngine<SmoothingOptions> = {
  name: 'smoothing',
  certify(model: Module, images, labels, o, ctx) {
    return smoothFor(model, images, o, ctx).certifyMany(images, labels, { n0: o.n0, n: o.n, alpha: o.alpha });
  },
  certifyAsync(model: Module, images, labels, o, ctx) {
    return smoothFor(model, images, o, ctx).certifyManyAsync(images, labels, { n0: o.n0, n: o.n, alpha: o.alpha, between: ctx.between });
  },
};
