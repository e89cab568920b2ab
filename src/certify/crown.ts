// CROWN (Zhang et al. 2018): linear bounds by a backward pass. Starting from the specification
// C (margins e_c − e_j), coefficients are pushed backwards through the network's graph
// (backsub.ts): exactly through affine nodes (and summed where a residual block's branches
// meet), and through each ReLU and MaxPool2d by its linear relaxation (bounds/relu.ts,
// bounds/maxpool2d.ts), which needs bounds on its input. Those intermediate (pre-activation)
// bounds come either from CROWN itself, node by node (the full method), or from IBP ('ibp':
// CROWN-IBP, Zhang et al. 2020). The final linear function of the input is concretised over
// the L∞ ball ∩ the input domain.
//
// Guarantee (deterministic, no failure probability): for every x' in the region,
// C·logits(x') >= the returned lower bounds (up to float32 rounding).
import type { Module } from '../nn/index.js';
import { arange, cat, noGrad, oneHot, tidy, type Tensor } from '../tensor/index.js';
import type { CertificateCore } from './certificate.js';
import type { CertifierEngine } from './engine.js';
import type { LowerSlope } from './bounds/index.js';
import { linearSpecBounds } from './backsub.js';
import { ibpSpecBounds } from './ibp.js';
import {
  boundNetwork,
  certifyWithBounds,
  forwardShapes,
  marginSpec,
  type BoundNetwork,
  type BoxOptions,
  type CertifyBoundsOptions,
} from './spec.js';

export interface CrownOptions extends BoxOptions {
  /** Where the pre-activation bounds come from (default 'crown'). */
  intermediate?: 'crown' | 'ibp';
  /** The ReLU lower line on unstable neurons (default 'adaptive'). */
  lowerSlope?: LowerSlope;
  /**
   * Elements of the largest coefficient tensor in the intermediate-bound passes (default 2^22,
   * 16 MB): rows are processed in chunks that fit. Bounds memory; 2^20–2^22 were fastest on
   * mnist-small (cache-sized chunks).
   */
  maxElements?: number;
}

/**
 * CROWN lower bounds [B, S] of C·logits over the region around each input of x, C [B, S, K].
 * Differentiable when called outside noGrad (CROWN-IBP training).
 */
export function crownSpecBounds(
  model: Module | BoundNetwork,
  x: Tensor,
  eps: number | ArrayLike<number>,
  C: Tensor,
  o: CrownOptions & { shapes?: number[][] } = {},
): Tensor {
  const net = 'nodes' in model ? model : boundNetwork(model, 'crown');
  const intermediate = o.intermediate ?? 'crown';
  if (intermediate !== 'crown' && intermediate !== 'ibp') throw new RangeError(`crown: intermediate '${intermediate}' is not one of crown, ibp`);
  return linearSpecBounds('crown', net, x, eps, C, {
    ...o,
    intermediate: intermediate === 'crown' ? 'backsub' : 'ibp',
    lowerSlope: o.lowerSlope ?? 'adaptive',
    maxElements: o.maxElements ?? 2 ** 22,
    multiDepth: 'none',
    tighten: 'unstable',
  });
}

/** CROWN lower bounds [B, K−1] of logit_c − logit_j (j ≠ c) for the given class c of each input. */
export function crownMarginBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, classes: ArrayLike<number>, o: CrownOptions = {}): Tensor {
  return tidy(() => {
    const net = boundNetwork(model, 'crown');
    const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
    return crownSpecBounds(net, x, eps, marginSpec(classes, shapes[net.output][0], x.device), { ...o, shapes });
  });
}

/** CROWN bounds of the logits [B, K] (C = I for the lower, −I for the upper bounds). */
export function crownBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, o: CrownOptions = {}): { lower: Tensor; upper: Tensor } {
  return tidy(() => {
    const net = boundNetwork(model, 'crown');
    const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
    const K = shapes[net.output][0];
    const B = x.shape[0];
    const I = oneHot(arange(K, undefined, 1, 'int64', x.device), K).to('float32');
    const C = cat([I, I.neg()], 0).unsqueeze(0).expand([B, 2 * K, K]);
    const b = crownSpecBounds(net, x, eps, C, { ...o, shapes });
    return { lower: b.slice(1, 0, K), upper: b.slice(1, K, 2 * K).neg() };
  });
}

export interface CertifyCrownOptions extends CertifyBoundsOptions, CrownOptions {}

/**
 * CROWN certification of each input of images [N, ...], with the same semantics as certifyIBP:
 * the clean prediction is certified on the L∞ ball of radius eps (∩ the domain) when every CROWN
 * margin lower bound of the predicted class is > 0, otherwise the certificate abstains.
 * Deterministic guarantee, up to float32 rounding.
 */
export function certifyCROWN(model: Module, images: Tensor, labels: ArrayLike<number>, eps: number, o: CertifyCrownOptions = {}): CertificateCore[] {
  const net = boundNetwork(model, 'crown');
  return certifyWithBounds('crown', net, images, labels, eps, o.batchSize ?? 32, o.onProgress, (x, C, shapes) =>
    crownSpecBounds(net, x, eps, C, { ...o, shapes }),
  );
}

export interface LargestEpsOptions extends CrownOptions {
  /** The bound used (default 'crown'). */
  method?: 'ibp' | 'crown';
  /** The search interval (default [0, 1]) and its resolution (default 1e-3). */
  lo?: number;
  hi?: number;
  tol?: number;
}

/**
 * The largest eps in [lo, hi] (to within tol) at which `method` verifies that the model
 * predicts `label` on the whole L∞ ball around x (x: one input, without a batch dimension), by
 * bisection: verified at the returned eps, not verified at some eps' <= returned + tol (or the
 * returned value is hi). 0 when the clean prediction is not `label` or eps = lo fails.
 */
export function largestCertifiedEps(model: Module, x: Tensor, label: number, o: LargestEpsOptions = {}): number {
  const images = x.unsqueeze(0);
  try {
    return largestCertifiedEpsMany(model, images, [label], o)[0];
  } finally {
    images.dispose();
  }
}

/** largestCertifiedEps for every input of images [N, ...], bisecting a batch of inputs together. */
export function largestCertifiedEpsMany(
  model: Module,
  images: Tensor,
  labels: ArrayLike<number>,
  o: LargestEpsOptions & { batchSize?: number } = {},
): number[] {
  const method = o.method ?? 'crown';
  if (method !== 'crown' && method !== 'ibp') throw new RangeError(`largestCertifiedEps: method '${method}' is not one of ibp, crown`);
  const lo0 = o.lo ?? 0;
  const hi0 = o.hi ?? 1;
  const tol = o.tol ?? 1e-3;
  if (!(lo0 >= 0 && hi0 > lo0)) throw new RangeError(`largestCertifiedEps: the interval [${lo0}, ${hi0}] must satisfy 0 <= lo < hi`);
  if (!(tol > 0)) throw new RangeError(`largestCertifiedEps: tol ${tol} must be > 0`);
  const N = images.shape[0];
  if (labels.length !== N) throw new RangeError(`largestCertifiedEps: ${labels.length} labels for ${N} images`);
  const batchSize = o.batchSize ?? (method === 'crown' ? 32 : 256);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`largestCertifiedEps: batchSize ${batchSize} must be an integer >= 1`);
  const net = boundNetwork(model, method);
  const out: number[] = [];
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(N, start + batchSize);
    const x = images.slice(0, start, end);
    try {
      out.push(...bisect(net, x, Array.from(labels).slice(start, end), method, lo0, hi0, tol, o));
    } finally {
      x.dispose();
    }
  }
  return out;
}

function bisect(net: BoundNetwork, images: Tensor, labels: number[], method: 'ibp' | 'crown', lo0: number, hi0: number, tol: number, o: CrownOptions): number[] {
  const N = labels.length;
  return noGrad(() => {
    const { shapes, preds } = tidy(() => {
      const f = forwardShapes(net, images);
      return { shapes: f.shapes, preds: f.logits.argmax(1).toArray() };
    });
    const K = shapes[net.output][0];
    const verified = (eps: number[]): boolean[] =>
      tidy(() => {
        const C = marginSpec(labels, K, images.device);
        const b = method === 'ibp' ? ibpSpecBounds(net, images, eps, C, { ...o, shapes }) : crownSpecBounds(net, images, eps, C, { ...o, shapes });
        return b.min(1).toArray().map((v) => v > 0);
      });
    const lo = new Array<number>(N).fill(lo0);
    const hi = new Array<number>(N).fill(hi0);
    const result = new Array<number>(N).fill(0);
    const okLo = verified(lo);
    const okHi = verified(hi);
    const active: boolean[] = new Array<boolean>(N).fill(false);
    for (let i = 0; i < N; i++) {
      if (preds[i] !== labels[i] || !okLo[i]) result[i] = 0;
      else if (okHi[i]) result[i] = hi0;
      else active[i] = true;
    }
    // invariant for active inputs: verified at lo[i], not verified at hi[i]
    while (active.some((a, i) => a && hi[i] - lo[i] > tol)) {
      const mid = lo.map((l, i) => (active[i] && hi[i] - l > tol ? (l + hi[i]) / 2 : l));
      const ok = verified(mid);
      for (let i = 0; i < N; i++) {
        if (!active[i] || hi[i] - lo[i] <= tol) continue;
        if (ok[i]) lo[i] = mid[i];
        else hi[i] = mid[i];
      }
    }
    for (let i = 0; i < N; i++) if (active[i]) result[i] = lo[i];
    return result;
  });
}

/** The options of the `crown` kind (schema and defaults: src/catalog/certifiers.ts). */
export interface CrownCertifierOptions {
  epsilon: number;
  batchSize: number;
  intermediate: 'crown' | 'ibp';
  lowerSlope: LowerSlope;
}

export const engine: CertifierEngine<CrownCertifierOptions> = {
  name: 'crown',
  certify: (model, images, labels, o) =>
    certifyCROWN(model, images, labels, o.epsilon, { batchSize: o.batchSize, intermediate: o.intermediate, lowerSlope: o.lowerSlope }),
};
