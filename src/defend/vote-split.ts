// Vote-split occlusion (ours), a test-time defense aimed at availability attacks on smoothing.
//
// The signature: under randomized smoothing a clean input's noisy copies vote almost unanimously
// (top-vote share near 1), while an availability trigger works precisely by *splitting* the votes
// (a boundary through the triggered input, or no class at all), so its top share falls below
// τ = Φ(r_d/σ), the share a certificate at r_d needs. Three steps:
//   1. detect: count inputs in the traffic whose top share is below τ and compare with clean
//      calibration inputs (one-sided binomial test at level alpha): an availability attack raises
//      that count, and the test says so with a stated false-alarm probability;
//   2. locate: on the split inputs, slide an occluding square (filled with the clean per-pixel
//      mean) over the image and keep the window that restores the most inputs to a top share ≥ τ, among the
//      windows that leave clean inputs' answers alone (≥ 95% keep their class). A trigger is one
//      region shared by all triggered inputs, so one window restores most of them; occluding the
//      content also makes votes unanimous (for whatever a blank image is), but it changes the
//      clean answers, so it is ruled out;
//   3. repair: from then on, certify g(occlude(x)) for *every* input. Occlusion is a fixed map
//      x ↦ (1 − w)·x + w·fill with w ∈ {0,1}, which is 1-Lipschitz in L2
//      (‖occ(x + δ) − occ(x)‖₂ = ‖(1 − w)·δ‖₂ ≤ ‖δ‖₂), so a smoothing certificate of radius r for
//      occ(x) is a certificate of radius r for the deployed classifier x ↦ g(occ(x)) at x. The
//      repair keeps the certificate sound; it costs the clean content under the window.
// It does not help against integrity attacks (BadNets inputs vote unanimously for the target) nor
// against triggers spread over the whole image (blend), which no small window removes.
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { permutation, type Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Generator, noGrad, randn, tensor, tidy } from '../tensor/index.js';
import type { InputDefense } from './engine.js';
import { DefenseError } from './errors.js';

export interface VoteSplitOptions {
  /** The smoothing σ of the deployed certifier. */
  sigma: number;
  /** The deployment radius r_d; τ = Φ(r_d / σ). */
  deploymentRadius: number;
  /** Noise draws per input to estimate its top-vote share. Default 64. */
  samples?: number;
  /** Window sides tried when locating (pixels). Default [4, 6, 8]. */
  windows?: number[];
  /** Step between window positions (pixels). Default 2. */
  stride?: number;
  /** Split inputs used to locate the trigger (a seeded sample of them). Default 32. */
  locateInputs?: number;
  /** False-alarm probability of the detection test. Default 0.001. */
  alpha?: number;
  /**
   * A window qualifies only if at least this share of clean inputs keep their (noisy-majority)
   * class when it is occluded: occluding the digit itself also makes votes unanimous, for
   * whatever class a blank image gets, and this rules that out. Default 0.95.
   */
  minCleanAgreement?: number;
  /** Clean inputs that check the agreement. Default 64. */
  agreementInputs?: number;
  seed?: number;
}

export const VOTE_SPLIT_DEFAULTS = { samples: 64, windows: [4, 6, 8], stride: 2, locateInputs: 32, alpha: 0.001, minCleanAgreement: 0.95, agreementInputs: 64, seed: 0 } as const;

/** A square window, top-left pixel (x, y). */
export interface Window {
  x: number;
  y: number;
  size: number;
}

/** Top-vote share of the base classifier under N(0, σ²) noise, per input (N×C×H×W values). */
export function topVoteShares(model: Module, images: Float32Array, shape: readonly number[], sigma: number, samples: number, gen: Generator): Float32Array {
  return topVotes(model, images, shape, sigma, samples, gen).shares;
}

/** Top-vote share and top class (lowest index among ties) per input. */
export function topVotes(model: Module, images: Float32Array, shape: readonly number[], sigma: number, samples: number, gen: Generator): { shares: Float32Array; classes: Int32Array } {
  const d = shape[0] * shape[1] * shape[2];
  const n = images.length / d;
  const out = new Float32Array(n);
  const classes = new Int32Array(n);
  const per = Math.max(1, Math.floor(1024 / samples)); // inputs per forward batch
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let s = 0; s < n; s += per) {
        const b = Math.min(per, n - s);
        const [shares, tops] = tidy(() => {
          const x = tensor(images.subarray(s * d, (s + b) * d), [b, 1, ...shape], undefined, model.device);
          const noisy = randn([b, samples, ...shape], { generator: gen, device: gen.device }).mul(sigma).add(x).reshape([b * samples, ...shape]);
          const logits = model.forward(noisy);
          const k = logits.shape[1];
          const votes = logits.argmax(1).reshape([b, samples]);
          const counts = votes.oneHot(k).sum(1); // [b, k]
          return [counts.max(1).toFloat32Array(), counts.argmax(1).toArray()] as const;
        });
        shares.forEach((c, i) => (out[s + i] = c / samples));
        tops.forEach((c, i) => (classes[s + i] = c));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return { shares: out, classes };
}

/** The images with a window set to the fill (per-pixel values, [C·H·W]). */
export function occlude(images: Float32Array, shape: readonly number[], w: Window, fill: Float32Array): Float32Array {
  const [c, h, wd] = shape;
  const d = c * h * wd;
  const out = images.slice();
  for (let at = 0; at < out.length; at += d) {
    for (let ch = 0; ch < c; ch++) {
      for (let r = w.y; r < Math.min(h, w.y + w.size); r++) {
        for (let q = w.x; q < Math.min(wd, w.x + w.size); q++) {
          const j = ch * h * wd + r * wd + q;
          out[at + j] = fill[j];
        }
      }
    }
  }
  return out;
}

/** The clean per-pixel mean image, the neutral fill of an occluded window. */
export function meanImage(clean: Dataset): Float32Array {
  const d = clean.imageSize;
  const m = new Float64Array(d);
  for (let i = 0; i < clean.length; i++) for (let j = 0; j < d; j++) m[j] += clean.images[i * d + j];
  return Float32Array.from(m, (v) => v / Math.max(1, clean.length));
}

export interface VoteSplitDetection {
  /** τ = Φ(r_d / σ): the top share a certificate at r_d needs. */
  tau: number;
  cleanSplitShare: number;
  trafficSplitShare: number;
  /** One-sided binomial p-value of the traffic's split count against the clean share. */
  pValue: number;
  detected: boolean;
  /** Indices (into the traffic) of the split inputs. */
  split: number[];
}

/** Step 1: is the traffic's share of split votes above clean inputs'? */
export function detectVoteSplit(model: Module, clean: Dataset, traffic: Dataset, o: VoteSplitOptions): VoteSplitDetection {
  const opt = { ...VOTE_SPLIT_DEFAULTS, ...o };
  if (!(o.sigma > 0)) throw new RangeError(`vote-split: sigma ${o.sigma} must be > 0 (the defense reads the votes of randomized smoothing)`);
  if (!(o.deploymentRadius >= 0)) throw new RangeError(`vote-split: deploymentRadius ${o.deploymentRadius} must be >= 0`);
  const tau = normalCdf(o.deploymentRadius / o.sigma, 0, 1);
  const gen = new Generator(opt.seed, model.device);
  const cleanShares = topVoteShares(model, clean.images, clean.shape, o.sigma, opt.samples, gen);
  const trafficShares = topVoteShares(model, traffic.images, traffic.shape, o.sigma, opt.samples, gen);
  // one pseudo-count keeps a clean share of 0 from making any split input "significant"
  const p0 = (cleanShares.filter((s) => s < tau).length + 1) / (clean.length + 1);
  const split: number[] = [];
  trafficShares.forEach((s, i) => s < tau && split.push(i));
  const pValue = split.length === 0 ? 1 : 1 - binomialCdf(split.length - 1, traffic.length, p0);
  return {
    tau,
    cleanSplitShare: p0,
    trafficSplitShare: split.length / Math.max(1, traffic.length),
    pValue,
    detected: pValue < opt.alpha,
    split,
  };
}

export interface TriggerLocation {
  window: Window;
  /** Mean top share of the split inputs before occlusion and with the chosen window. */
  before: number;
  after: number;
  fill: Float32Array;
}

/** Step 2: the window whose occlusion best restores unanimous votes on the split inputs. */
export function locateTrigger(model: Module, clean: Dataset, suspicious: Dataset, o: VoteSplitOptions): TriggerLocation {
  const opt = { ...VOTE_SPLIT_DEFAULTS, ...o };
  if (suspicious.length === 0) throw new RangeError('vote-split: no split inputs to locate a trigger with');
  const [, h, w] = suspicious.shape;
  const fill = meanImage(clean);
  // a seeded sample of the split inputs (some split inputs are merely ambiguous clean digits)
  const m = Math.min(opt.locateInputs, suspicious.length);
  const pick = permutation(suspicious.length, new Generator(opt.seed + 3)).subarray(0, m);
  const imgs = suspicious.subset(pick).images;
  const tau = normalCdf(o.deploymentRadius / o.sigma, 0, 1);
  const mean = (xs: Float32Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const before = mean(topVoteShares(model, imgs, suspicious.shape, o.sigma, opt.samples, new Generator(opt.seed + 1, model.device)));
  const mc = Math.min(opt.agreementInputs, clean.length);
  const cleanImgs = clean.images.subarray(0, mc * clean.imageSize);
  const cleanTop = topVotes(model, cleanImgs, clean.shape, o.sigma, opt.samples, new Generator(opt.seed + 2, model.device)).classes;
  // score: inputs whose top share clears τ after occlusion, then the mean share
  let best: { window: Window; restored: number; after: number } | null = null;
  for (const size of [...opt.windows].sort((a, b) => a - b)) {
    if (!(Number.isInteger(size) && size >= 1 && size <= Math.min(h, w))) throw new RangeError(`vote-split: window ${size} must be an integer in 1..${Math.min(h, w)}`);
    const positions = (n: number) => {
      const ps: number[] = [];
      for (let p = 0; p + size <= n; p += opt.stride) ps.push(p);
      if (ps[ps.length - 1] !== n - size) ps.push(n - size); // reach the far edge
      return ps;
    };
    for (const y of positions(h)) {
      for (const x of positions(w)) {
        const window = { x, y, size };
        const kept = topVotes(model, occlude(cleanImgs, clean.shape, window, fill), clean.shape, o.sigma, opt.samples, new Generator(opt.seed + 2, model.device)).classes;
        if (kept.filter((c, i) => c === cleanTop[i]).length < opt.minCleanAgreement * mc) continue;
        // the same noise for every window (common random numbers), so windows compare fairly
        const shares = topVoteShares(model, occlude(imgs, suspicious.shape, window, fill), suspicious.shape, o.sigma, opt.samples, new Generator(opt.seed + 1, model.device));
        const restored = shares.filter((v) => v >= tau).length;
        const after = mean(shares);
        if (!best || restored > best.restored || (restored === best.restored && after > best.after + 1e-9)) best = { window, restored, after };
      }
    }
  }
  if (!best) throw new RangeError(`vote-split: every window changes more than ${1 - opt.minCleanAgreement} of clean answers; try smaller windows`);
  return { window: best.window, before, after: best.after, fill };
}

export interface VoteSplitDefense {
  detection: VoteSplitDetection;
  /** Set when an attack was detected. */
  location: TriggerLocation | null;
  /** The preprocessing the deployed system applies to every input (identity when nothing was detected). */
  transform(ds: Dataset): Dataset;
}

/** Steps 1–3: detect on the traffic, locate on its split inputs, return the repair transform. */
export function voteSplitDefense(model: Module, clean: Dataset, traffic: Dataset, o: VoteSplitOptions): VoteSplitDefense {
  const detection = detectVoteSplit(model, clean, traffic, o);
  if (!detection.detected) return { detection, location: null, transform: (ds) => ds };
  const location = locateTrigger(model, clean, traffic.subset(detection.split), o);
  return {
    detection,
    location,
    transform: (ds) => ds.with({ name: `${ds.name}+occluded`, images: occlude(ds.images, ds.shape, location.window, location.fill) }),
  };
}

export interface VoteSplitEngineOptions {
  samples: number;
  windows: number[];
  stride: number;
  locateInputs: number;
  alpha: number;
  minCleanAgreement: number;
  agreementInputs: number;
  trafficInputs: number;
  trafficTriggerShare: number;
}

/** The occlusion a detection located, as JSON (null: nothing detected, inputs pass unchanged). */
export type OcclusionParams = { window: Window; fill: number[] } | null;

const occluder = (params: OcclusionParams) => (ds: Dataset): Dataset =>
  params ? ds.with({ name: `${ds.name}+occluded`, images: occlude(ds.images, ds.shape, params.window, Float32Array.from(params.fill)) }) : ds;

/**
 * The catalog's vote-split: watches held-out traffic (a share carrying the attacker's trigger)
 * under the run's smoothing σ and r_d; when it detects split votes, every input is occluded at
 * the located window before certification.
 */
export const engine: InputDefense<VoteSplitEngineOptions> = {
  name: 'vote-split',
  stage: 'input',
  async prepare(model, o, ctx) {
    if (!ctx.certifier) throw new DefenseError('vote-split reads the votes of randomized smoothing, and this run has no smoothing certifier; add it (--certifier smoothing) or drop vote-split from defense.kinds');
    const traffic = ctx.traffic(o.trafficInputs, o.trafficTriggerShare);
    const { trafficInputs: _t, trafficTriggerShare: _s, ...rest } = o;
    const d = voteSplitDefense(model, ctx.clean, traffic, { ...rest, ...ctx.certifier, seed: ctx.seed });
    const params: OcclusionParams = d.location ? { window: d.location.window, fill: Array.from(d.location.fill) } : null;
    const det = d.detection;
    ctx.log(`vote-split: ${det.detected ? `split votes detected (p ${det.pValue.toExponential(2)}), occluding ${JSON.stringify(d.location!.window)}` : `no attack detected (p ${det.pValue.toFixed(3)}); inputs pass unchanged`}`);
    return {
      transform: occluder(params),
      params,
      detail: {
        detected: det.detected, pValue: det.pValue, tau: det.tau, cleanSplitShare: det.cleanSplitShare, trafficSplitShare: det.trafficSplitShare,
        window: d.location?.window ?? null, meanTopShareBefore: d.location?.before ?? null, meanTopShareAfter: d.location?.after ?? null,
      },
    };
  },
  restore: (params) => occluder(params as OcclusionParams),
};
