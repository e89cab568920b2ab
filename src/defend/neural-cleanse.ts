// Neural Cleanse (Wang et al., "Neural Cleanse: Identifying and Mitigating Backdoor Attacks in
// Neural Networks", IEEE S&P 2019), adapted to availability attacks; an after-training repair.
//
// Reverse engineering: a trigger is a mask m = sigmoid(a) ∈ [0,1]^{H×W} and a pattern
// p = sigmoid(b) ∈ [0,1]^{C×H×W}, applied as x' = (1 − m)·x + m·p. For each candidate, Adam
// minimises  goal(x') + λ·‖m‖₁  over clean inputs, with Neural Cleanse's schedule for λ (start
// 1e-3; every `patience` steps ×1.5 while the goal is met on ≥ 99% of inputs, ÷1.5^1.5 while not),
// keeping the smallest mask that met the goal. The candidates:
//   target t (one per class; Wang et al.): the base classifier answers t;
//   'availability' (ours): the certifier loses its answer: the mean softmax p̄ of the base
//       classifier under the certifier's Gaussian noise (σ; 0 for a deterministic certifier) has
//       no class above ½, the threshold below which smoothing abstains. Loss: max_c p̄_c.
// Detection: Wang et al.'s anomaly index over the candidates' mask norms,
//   (median − ‖m‖₁) / (1.4826 · MAD), flagging a candidate whose index exceeds 2 (an abnormally
//   small trigger). A trigger an attacker planted is far smaller than what the model needs
//   to be pushed to a class, or off all classes, by honest means.
// Mitigation (Wang et al.'s unlearning): fine-tune on clean data in which a share (20%) of the
// samples carry a flagged reversed trigger with their *true* labels, with the victim's objective.
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Generator, noGrad, randn, tensor, tidy, zeros } from '../tensor/index.js';
import { permutation } from '../data/index.js';
import { Adam, type Objective } from '../train/index.js';
import { fit } from './fit.js';
import type { RepairResult } from './types.js';
import type { ModelDefense } from './engine.js';


export type NcCandidate = number | 'availability';

export interface NeuralCleanseOptions {
  /** Which candidates to reverse-engineer. Default: every class, then 'availability'. */
  candidates?: NcCandidate[];
  /** The certifier's noise σ for the availability goal (and the base classifier's view). Default 0. */
  sigma?: number;
  /** Noise draws per input when σ > 0. Default 8. */
  noiseSamples?: number;
  /** Optimisation steps per candidate. Default 300. */
  steps?: number;
  /** Clean inputs per step. Default 32. */
  batchSize?: number;
  /** Adam learning rate for the mask and pattern. Default 0.1 (Wang et al.). */
  lr?: number;
  /** Initial λ. Default 1e-3 (Wang et al.). */
  initCost?: number;
  /** Share of a batch that must meet the goal. Default 0.99 (Wang et al.). */
  successThreshold?: number;
  /** Steps between λ adjustments. Default 10. */
  patience?: number;
  /** Anomaly index above which a candidate is flagged. Default 2 (Wang et al.). */
  anomalyThreshold?: number;
  seed?: number;
}

export const NC_DEFAULTS = {
  sigma: 0, noiseSamples: 8, steps: 300, batchSize: 32, lr: 0.1, initCost: 1e-3, successThreshold: 0.99, patience: 10, anomalyThreshold: 2, seed: 0,
} as const;

export interface ReversedTrigger {
  candidate: NcCandidate;
  /** [H·W] mask values in [0, 1]. */
  mask: Float32Array;
  /** [C·H·W] pattern values in [0, 1]. */
  pattern: Float32Array;
  /** ‖m‖₁ of the smallest mask that met the goal (of the last mask when none did). */
  norm: number;
  /** Share of the last batches that met the goal with this mask. */
  success: number;
  /** Whether any mask met the goal. */
  reached: boolean;
  anomalyIndex: number;
  flagged: boolean;
}

/** Wang et al.'s anomaly index of each norm: (median − norm) / (1.4826 · MAD). */
export function anomalyIndices(norms: readonly number[]): number[] {
  const sorted = [...norms].sort((a, b) => a - b);
  const med = (xs: number[]) => (xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2);
  const median = med(sorted);
  const mad = med(sorted.map((v) => Math.abs(v - median)).sort((a, b) => a - b));
  return norms.map((v) => (mad > 0 ? (median - v) / (1.4826 * mad) : 0));
}

/** Applies a reversed trigger to images (N×C×H×W values). */
export function applyReversed(images: Float32Array, shape: readonly number[], t: Pick<ReversedTrigger, 'mask' | 'pattern'>): Float32Array {
  const [c, h, w] = shape;
  const hw = h * w;
  const d = c * hw;
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const j = i % d;
    const m = t.mask[j % hw];
    out[i] = (1 - m) * images[i] + m * t.pattern[j];
  }
  return out;
}

/** Reverse-engineers one candidate's smallest trigger. */
export function reverseTrigger(model: Module, clean: Dataset, candidate: NcCandidate, opts: NeuralCleanseOptions = {}): ReversedTrigger {
  const o = { ...NC_DEFAULTS, ...opts };
  const [c, h, w] = clean.shape;
  const k = clean.numClasses;
  if (typeof candidate === 'number' && !(Number.isInteger(candidate) && candidate >= 0 && candidate < k)) {
    throw new RangeError(`neural cleanse: candidate ${candidate} is not a class in 0..${k - 1}`);
  }
  const gen = new Generator(o.seed + (candidate === 'availability' ? k : candidate) + 1);
  const device = model.device;
  const noise = device === 'cpu' ? gen : new Generator(gen.seed, device); // the noise is drawn where the model runs
  const params = model.parameters();
  const had = params.map((p) => p.requiresGrad);
  params.forEach((p) => p.requiresGrad_(false));
  const wasTraining = model.training;
  model.eval();
  const a = zeros([1, h, w], 'float32', device).requiresGrad_(true); // mask logits: m starts at ½ everywhere
  const b = zeros([c, h, w], 'float32', device).requiresGrad_(true);
  const opt = new Adam([a, b], { lr: o.lr, betas: [0.5, 0.9] });
  const draws = o.sigma > 0 ? o.noiseSamples : 1;
  let cost = o.initCost;
  let best: { mask: Float32Array; pattern: Float32Array; norm: number } | null = null;
  let last: { mask: Float32Array; pattern: Float32Array; norm: number } = { mask: new Float32Array(h * w), pattern: new Float32Array(c * h * w), norm: Infinity };
  let hits = 0;
  let seen = 0;
  let lastSuccess = 0;
  const d = c * h * w;
  try {
    const order = permutation(clean.length, gen);
    let at = 0;
    for (let step = 0; step < o.steps; step++) {
      const bs = Math.min(o.batchSize, clean.length);
      const idx = new Int32Array(bs);
      for (let i = 0; i < bs; i++) idx[i] = order[(at + i) % clean.length];
      at += bs;
      const [ok, maskNorm] = tidy(() => {
        const xs = new Float32Array(bs * d);
        idx.forEach((j, i) => xs.set(clean.image(j), i * d));
        const x = tensor(xs, [bs, c, h, w], undefined, device);
        opt.zeroGrad();
        const m = a.sigmoid();
        const p = b.sigmoid();
        let xt = x.mul(m.neg().add(1)).add(m.mul(p));
        if (draws > 1) xt = xt.repeat([draws, 1, 1, 1]).add(randn([draws * bs, c, h, w], { generator: noise, device }).mul(o.sigma));
        const probs = model.forward(xt).softmax(1).reshape([draws, bs, k]).mean(0);
        const goal = candidate === 'availability'
          ? probs.max(1)
          : probs.slice(1, candidate, candidate + 1).squeeze(1).add(1e-12).log().neg();
        const l1 = m.sum();
        goal.mean().add(l1.mul(cost)).backward();
        opt.step();
        const met = noGrad(() =>
          candidate === 'availability' ? probs.max(1).lt(0.5).sum().item() : probs.argmax(1).eq(candidate).sum().item(),
        );
        return [met, l1.item()] as const;
      });
      hits += ok;
      seen += bs;
      const batchOk = ok / bs >= o.successThreshold;
      if (batchOk && (!best || maskNorm < best.norm)) {
        best = noGrad(() => tidy(() => ({ mask: a.sigmoid().toFloat32Array(), pattern: b.sigmoid().toFloat32Array(), norm: maskNorm })));
      }
      if ((step + 1) % o.patience === 0) {
        lastSuccess = hits / seen;
        cost = lastSuccess >= o.successThreshold ? cost * 1.5 : cost / 1.5 ** 1.5;
        hits = 0;
        seen = 0;
      }
    }
    last = noGrad(() => tidy(() => ({ mask: a.sigmoid().toFloat32Array(), pattern: b.sigmoid().toFloat32Array(), norm: a.sigmoid().sum().item() })));
  } finally {
    params.forEach((p, i) => p.requiresGrad_(had[i]));
    model.train(wasTraining);
    for (const t of [a, b]) t.dispose();
    opt.dispose();
  }
  const chosen = best ?? last;
  return { candidate, ...chosen, success: lastSuccess, reached: best !== null, anomalyIndex: 0, flagged: false };
}

/** Reverse-engineers every candidate and flags the anomalous ones. */
export function neuralCleanseDetect(model: Module, clean: Dataset, opts: NeuralCleanseOptions = {}): ReversedTrigger[] {
  const o = { ...NC_DEFAULTS, ...opts };
  const candidates = opts.candidates ?? [...Array.from({ length: clean.numClasses }, (_, t) => t), 'availability' as const];
  const found = candidates.map((cand) => reverseTrigger(model, clean, cand, o));
  const idx = anomalyIndices(found.map((t) => t.norm));
  return found.map((t, i) => ({ ...t, anomalyIndex: idx[i], flagged: t.reached && idx[i] > o.anomalyThreshold }));
}

export interface UnlearnOptions {
  /** The victim's objective (e.g. Gaussian noise for smoothing). */
  objective: Objective;
  /** Share of the clean samples that carry a reversed trigger (true labels). Default 0.2 (Wang et al.). */
  triggeredShare?: number;
  /** Epochs of fine-tuning. Default 1 (Wang et al.). */
  epochs?: number;
  /** Adam learning rate. Default 1e-3. */
  lr?: number;
  batchSize?: number;
  seed?: number;
}

export const UNLEARN_DEFAULTS = { triggeredShare: 0.2, epochs: 1, lr: 1e-3, batchSize: 64, seed: 0 } as const;

/** Unlearning: fine-tunes on clean data, a share stamped with the flagged triggers, true labels kept. */
export async function unlearn(model: Module, clean: Dataset, triggers: readonly ReversedTrigger[], opts: UnlearnOptions): Promise<void> {
  const o = { ...UNLEARN_DEFAULTS, ...opts };
  if (!triggers.length) return;
  const gen = new Generator(o.seed);
  const perm = permutation(clean.length, gen);
  const m = Math.round(o.triggeredShare * clean.length);
  const images = clean.images.slice();
  const d = clean.imageSize;
  for (let j = 0; j < m; j++) {
    const i = perm[j];
    const t = triggers[j % triggers.length];
    images.set(applyReversed(clean.image(i), clean.shape, t), i * d);
  }
  await fit(model, clean.with({ images, name: `${clean.name}+unlearn` }), o);
}

export interface NeuralCleanseResult extends RepairResult {
  triggers: ReversedTrigger[];
  flagged: NcCandidate[];
}

/**
 * Detect, then unlearn the flagged triggers (the model is changed in place only if any is
 * flagged). `unlearn` holds the unlearning options (its own learning rate and epochs).
 */
export async function neuralCleanse(model: Module, clean: Dataset, opts: NeuralCleanseOptions & { unlearn: UnlearnOptions }): Promise<NeuralCleanseResult> {
  const t0 = Date.now();
  const triggers = neuralCleanseDetect(model, clean, opts);
  const flagged = triggers.filter((t) => t.flagged);
  await unlearn(model, clean, flagged, { seed: opts.seed, ...opts.unlearn });
  return {
    triggers,
    flagged: flagged.map((t) => t.candidate),
    detail: Object.fromEntries(triggers.map((t) => [String(t.candidate), { norm: Number(t.norm.toFixed(2)), anomalyIndex: Number(t.anomalyIndex.toFixed(2)), reached: t.reached }])),
    seconds: (Date.now() - t0) / 1000,
  };
}

export interface NeuralCleanseEngineOptions {
  candidates: 'all' | 'classes' | 'availability';
  noiseSamples: number;
  steps: number;
  batchSize: number;
  lr: number;
  initCost: number;
  successThreshold: number;
  patience: number;
  anomalyThreshold: number;
  unlearn: { triggeredShare: number; epochs: number; lr: number; batchSize: number };
}

/**
 * The catalog's neural-cleanse: the availability candidate reads the smoothing σ of the run (0,
 * the base classifier alone, when smoothing is not configured); unlearning uses the victim's objective.
 */
export const engine: ModelDefense<NeuralCleanseEngineOptions> = {
  name: 'neural-cleanse',
  stage: 'model',
  async repair(model, o, ctx) {
    const classes = Array.from({ length: ctx.numClasses }, (_, t) => t);
    const candidates: NcCandidate[] = o.candidates === 'classes' ? classes : o.candidates === 'availability' ? ['availability'] : [...classes, 'availability'];
    const sigma = ctx.certifier?.sigma ?? 0;
    ctx.log(`neural-cleanse: reverse-engineering ${candidates.length} trigger(s), ${o.steps} steps each${sigma ? ` (availability goal under σ ${sigma})` : ''}`);
    const { unlearn: u, candidates: _c, ...rest } = o;
    const r = await neuralCleanse(model, ctx.clean, { ...rest, candidates, sigma, seed: ctx.seed, unlearn: { ...u, objective: ctx.recipe.objective, seed: ctx.seed } });
    return { flagged: r.flagged, unlearned: r.flagged.length > 0, candidates: r.detail };
  },
};
