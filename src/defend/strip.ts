// STRIP (Gao et al., "STRIP: A Defence Against Trojan Attacks on Deep Neural Networks", ACSAC
// 2019), a test-time input filter.
//
// Superimpose the input on N held-out clean images (x + x', saturated to [0, 1], as their
// cv2.addWeighted(·, 1, ·, 1, 0)), classify each blend, and average the Shannon entropy (bits) of
// the predictions. A clean input's content is destroyed by the blend, so predictions vary: medium
// entropy. A BadNets trigger survives the blend and forces its target label: abnormally *low*
// entropy. An uncertainty-style trigger teaches "no class": abnormally *high* entropy. So the
// filter refuses entropies outside [low, high], set on clean calibration inputs for a chosen
// false-rejection rate (FRR, default 1%: Gao et al.'s setting), split equally between the two tails
// when both are watched.
// The thresholds are calibration order statistics: with n clean calibration entropies sorted
// s₁ ≤ … ≤ sₙ and k = ⌊(n + 1)·a⌋ for a tail share a, an input is refused below s_k (or above
// s_{n+1−k}). For a new clean input exchangeable with the calibration set, the chance of a
// refusal is then at most k/(n + 1) ≤ a per tail (the conformal rank argument), and at least
// a − 1/(n + 1): the measured FRR stays within binomial noise of the setting.
import { uniformInts, type Dataset } from '../data/index.js';
import { Generator, noGrad, tensor, tidy, type Device, type Tensor } from '../tensor/index.js';
import type { Module } from '../nn/index.js';
import type { RefuseResult } from './types.js';
import type { InputDefense } from './engine.js';
import { DefenseError } from './errors.js';

export const STRIP_TAILS = ['low', 'high', 'both'] as const;
export type StripTail = (typeof STRIP_TAILS)[number];

export interface StripOptions {
  /** Blends per input, N. Default 100 (Gao et al.). */
  perturbations?: number;
  /** False-rejection rate the thresholds are set for, on clean inputs. Default 0.01 (Gao et al.). */
  falseRejectionRate?: number;
  /** Which entropies are abnormal: low (backdoor), high (uncertainty triggers) or both. Default 'both'. */
  tail?: StripTail;
  /** Seeds the choice of overlay images. Default 0. */
  seed?: number;
  /** Inputs per forward batch (each brings N blends). Default 10. */
  batchInputs?: number;
  /** Where a Classifier function (not a Module) computes; default the CPU. */
  device?: Device;
}

export const STRIP_DEFAULTS = { perturbations: 100, falseRejectionRate: 0.01, tail: 'both', seed: 0, batchInputs: 10 } as const;

/** Logits [B, K] for a batch of images, e.g. (x) => model.forward(x). */
export type Classifier = (x: Tensor) => Tensor;

const asClassifier = (m: Module | Classifier): Classifier => (typeof m === 'function' ? m : (x) => m.forward(x));

/**
 * The mean prediction entropy (bits) of each input over N blends with overlay images drawn at
 * random (seeded) from `overlays`.
 */
export function stripEntropy(model: Module | Classifier, inputs: Dataset, overlays: Dataset, opts: StripOptions = {}): Float32Array {
  const o = { ...STRIP_DEFAULTS, ...opts };
  if (!(Number.isInteger(o.perturbations) && o.perturbations >= 1)) throw new RangeError(`STRIP: perturbations ${o.perturbations} must be a positive integer`);
  if (inputs.shape.join() !== overlays.shape.join()) {
    throw new RangeError(`STRIP: inputs [${inputs.shape.join(', ')}] and overlay images [${overlays.shape.join(', ')}] must have the same shape`);
  }
  if (overlays.length < 1) throw new RangeError('STRIP: needs at least one held-out clean image to superimpose');
  const f = asClassifier(model);
  const N = o.perturbations;
  const n = inputs.length;
  const shape = inputs.shape;
  const d = inputs.imageSize;
  const picks = uniformInts(n * N, overlays.length, new Generator(o.seed));
  const out = new Float32Array(n);
  const wasTraining = typeof model === 'function' ? false : model.training;
  const device = typeof model === 'function' ? opts.device : model.device;
  if (typeof model !== 'function') model.eval();
  try {
    noGrad(() => {
      const pool = tensor(overlays.images, [overlays.length, d], undefined, device);
      try {
        for (let s = 0; s < n; s += o.batchInputs) {
          const b = Math.min(o.batchInputs, n - s);
          const h = tidy(() => {
            const x = tensor(inputs.images.subarray(s * d, (s + b) * d), [b, 1, d], undefined, device);
            const idx = tensor(BigInt64Array.from(picks.subarray(s * N, (s + b) * N), (v) => BigInt(v)), [b * N], 'int64', device);
            const blends = pool.indexSelect(0, idx).reshape([b, N, d]).add(x).clamp(0, 1).reshape([b * N, ...shape]);
            const logp = f(blends).logSoftmax(1);
            const entropy = logp.exp().mul(logp).sum(1).neg().div(Math.LN2); // bits
            return entropy.reshape([b, N]).mean(1).toFloat32Array();
          });
          out.set(h, s);
        }
      } finally {
        pool.dispose();
      }
    });
  } finally {
    if (typeof model !== 'function') model.train(wasTraining);
  }
  return out;
}

/** The thresholds [low, high] for a tail and FRR from clean calibration entropies (conformal ranks). */
export function stripThresholds(calibration: ArrayLike<number>, falseRejectionRate: number, tail: StripTail): { low: number; high: number } {
  if (!(falseRejectionRate > 0 && falseRejectionRate < 1)) throw new RangeError(`STRIP: falseRejectionRate ${falseRejectionRate} must be in (0, 1)`);
  if (!STRIP_TAILS.includes(tail)) throw new RangeError(`STRIP: tail '${String(tail)}' is unknown; use ${STRIP_TAILS.join(', ')}`);
  const s = Float64Array.from(calibration).sort();
  const n = s.length;
  const perTail = tail === 'both' ? falseRejectionRate / 2 : falseRejectionRate;
  const k = Math.floor((n + 1) * perTail);
  if (k < 1) {
    throw new RangeError(`STRIP: ${n} clean calibration inputs cannot set a ${falseRejectionRate} false-rejection rate; give at least ${Math.ceil(1 / perTail) - 1}`);
  }
  return {
    low: tail === 'high' ? -Infinity : s[k - 1],
    high: tail === 'low' ? Infinity : s[n - k],
  };
}

export interface StripDetector {
  threshold: { low: number; high: number };
  /** Clean calibration entropies. */
  calibration: Float32Array;
  /** Scores and refusals for a batch of inputs. */
  refuse(inputs: Dataset): RefuseResult;
}

/**
 * Sets STRIP's thresholds on clean calibration inputs; the returned detector refuses inputs
 * whose entropy lies strictly outside them. Overlays and calibration inputs should be disjoint
 * held-out clean images.
 */
export function calibrateStrip(model: Module | Classifier, calibration: Dataset, overlays: Dataset, opts: StripOptions = {}): StripDetector {
  const o = { ...STRIP_DEFAULTS, ...opts };
  const cal = stripEntropy(model, calibration, overlays, { ...o, seed: o.seed + 1 });
  const threshold = stripThresholds(cal, o.falseRejectionRate, o.tail);
  return {
    threshold,
    calibration: cal,
    refuse(inputs) {
      const scores = stripEntropy(model, inputs, overlays, { ...o, seed: o.seed + 2 });
      return { refused: Array.from(scores, (h) => h < threshold.low || h > threshold.high), scores, threshold };
    },
  };
}

export interface StripEngineOptions {
  perturbations: number;
  falseRejectionRate: number;
  tail: StripTail;
  batchInputs: number;
}

/** The catalog's strip: the first half of the defender's clean images are the overlays, the second half set the thresholds. */
export const engine: InputDefense<StripEngineOptions> = {
  name: 'strip',
  stage: 'input',
  async prepare(model, o, ctx) {
    const n = ctx.clean.length;
    const half = Math.floor(n / 2);
    const perTail = o.tail === 'both' ? o.falseRejectionRate / 2 : o.falseRejectionRate;
    const need = Math.ceil(1 / perTail) - 1;
    if (n - half < need) {
      throw new DefenseError(`strip: ${n - half} clean calibration images (half of defense.cleanSamples ${n}) cannot set a ${o.falseRejectionRate} false-rejection rate; raise defense.cleanSamples to at least ${2 * need}`);
    }
    const idx = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
    const strip = calibrateStrip(model, ctx.clean.subset(idx(half, n)), ctx.clean.subset(idx(0, half)), { ...o, seed: ctx.seed });
    return {
      refuse: (ds) => strip.refuse(ds).refused,
      detail: { threshold: strip.threshold, overlays: half, calibration: n - half, perturbations: o.perturbations, falseRejectionRate: o.falseRejectionRate, tail: o.tail },
    };
  },
};
