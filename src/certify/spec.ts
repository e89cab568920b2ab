// What bound-based certifiers verify: the input region (an L∞ ball, intersected with the input
// domain) and the margin specification C (rows e_c − e_j), shared by IBP, CROWN and DeepPoly.
import { BatchNorm2d, type Module } from '../nn/index.js';
import { noGrad, tensor, tidy, type Device, type Tensor } from '../tensor/index.js';
import { verdict, type CertificateCore } from './certificate.js';
import { buildGraph, type BoundMethod, type BoundNetwork } from './bounds/index.js';

export type { BoundNetwork } from './bounds/index.js';

export interface BoxOptions {
  /** Intersect the ball with the input domain (default true). */
  clip?: boolean;
  /** The input domain (default [0, 1], images). */
  domain?: [number, number];
}

/**
 * The box [x − eps, x + eps] ∩ domain around each input of x [B, ...]; eps is one radius for
 * all inputs or one per input.
 */
export function inputBox(x: Tensor, eps: number | ArrayLike<number>, o: BoxOptions = {}): [Tensor, Tensor] {
  const B = x.shape[0];
  let e: number | Tensor;
  if (typeof eps === 'number') {
    checkEps(eps);
    e = eps;
  } else {
    if (eps.length !== B) throw new RangeError(`bounds: ${eps.length} radii for ${B} inputs`);
    Array.from(eps).forEach(checkEps);
    e = tensor(Float32Array.from(eps), [B, ...x.shape.slice(1).map(() => 1)], 'float32', x.device);
  }
  let lo = x.sub(e);
  let hi = x.add(e);
  if (o.clip ?? true) {
    const [dlo, dhi] = o.domain ?? [0, 1];
    if (!(dlo < dhi)) throw new RangeError(`bounds: domain [${dlo}, ${dhi}] is empty`);
    lo = lo.clamp(dlo, dhi);
    hi = hi.clamp(dlo, dhi);
  }
  return [lo, hi];
}

function checkEps(eps: number): void {
  if (!(eps >= 0 && Number.isFinite(eps))) throw new RangeError(`bounds: eps ${eps} must be finite and >= 0`);
}

/**
 * The margin specification C [B, K−1, K] for classes c (one per input): row j holds
 * e_c − e_j for each j ≠ c in increasing order, so C·logits are the margins logit_c − logit_j.
 * Made on `device` (default the CPU; pass the inputs' device).
 */
export function marginSpec(classes: ArrayLike<number>, numClasses: number, device?: Device): Tensor {
  const B = classes.length;
  const K = numClasses;
  const data = new Float32Array(B * (K - 1) * K);
  for (let b = 0; b < B; b++) {
    const c = classes[b];
    if (!Number.isInteger(c) || c < 0 || c >= K) throw new RangeError(`bounds: class ${c} is outside [0, ${K - 1}]`);
    let row = 0;
    for (let j = 0; j < K; j++) {
      if (j === c) continue;
      const base = (b * (K - 1) + row) * K;
      data[base + c] = 1;
      data[base + j] = -1;
      row++;
    }
  }
  return tensor(data, [B, K - 1, K], 'float32', device);
}

/**
 * Lower bound of A·x + bias over the box [lo, hi]: A·mid − |A|·rad + bias, with A [Ba, S, ...]
 * (Ba = 1 or B), bias [Ba, S] or null, lo/hi [B, ...]. Returns [B, S]. With slack > 0, also
 * minus slack·(|A|·(|mid| + rad) + |bias|): room for the rounding of the sums (see backsub.ts).
 */
export function concretizeLower(A: Tensor, bias: Tensor | null, lo: Tensor, hi: Tensor, slack = 0): Tensor {
  const [Ba, S] = A.shape;
  const B = lo.shape[0];
  const flatA = A.reshape([Ba, S, -1]);
  const mid = lo.add(hi).div(2).reshape([B, -1, 1]);
  const rad = hi.sub(lo).div(2).reshape([B, -1, 1]);
  // the slack rides on the radius: |A|·(rad + slack·(|mid| + rad)), one product as without it
  const radius = slack > 0 ? rad.add(mid.abs().add(rad).mul(slack)) : rad;
  const out = flatA.matmul(mid).sub(flatA.abs().matmul(radius)).squeeze(2);
  if (!bias) return out;
  return slack > 0 ? out.add(bias).sub(bias.abs().mul(slack)) : out.add(bias);
}

/** A model prepared for bounds: its graph of bound nodes (bounds/graph.ts), checks done once; `certifier` names it in messages. */
export function boundNetwork(model: Module, method: BoundMethod, certifier: string = method): BoundNetwork {
  for (const [name, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d && m.training) {
      throw new Error(`${certifier}: BatchNorm2d${name ? ` '${name}'` : ''} is in train mode; call model.eval() before certifying`);
    }
  }
  return buildGraph(model, method);
}

/**
 * The forward pass node by node: the logits and the per-input shape of each node's output
 * (shapes[0] is the input's; for a chain of layers, shapes[k] is the input of layer k).
 */
export function forwardShapes(net: BoundNetwork, x: Tensor): { logits: Tensor; shapes: number[][] } {
  const values: Tensor[] = [x];
  for (let k = 1; k <= net.output; k++) {
    const n = net.nodes[k];
    values.push(n.forward(n.inputs.map((i) => values[i])));
  }
  const y = values[net.output];
  if (y.rank !== 2) throw new RangeError(`bounds: the model's output has shape [${y.shape.join(', ')}], expected logits [B, K]`);
  return { logits: y, shapes: values.map((v) => v.shape.slice(1)) };
}

export interface CertifyBoundsOptions extends BoxOptions {
  /** Inputs per bound computation. */
  batchSize?: number;
  /** Called after each batch with the number of inputs finished. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * The certification loop shared by the bound-based certifiers. For each input the prediction is
 * the argmax of the clean logits; `marginLower` gives lower bounds of logit_pred − logit_j
 * (j ≠ pred) over the region. All positive: the prediction is constant on the region, so the
 * certificate keeps it with radius eps (certified when it is also the label); otherwise the
 * certifier abstains (radius 0). marginLower is stored either way.
 */
export function certifyWithBounds(
  certifier: string,
  net: BoundNetwork,
  images: Tensor,
  labels: ArrayLike<number>,
  eps: number,
  batchSize: number,
  onProgress: ((done: number, total: number) => void) | undefined,
  marginLower: (x: Tensor, C: Tensor, shapes: number[][]) => Tensor,
): CertificateCore[] {
  const N = images.shape[0];
  if (labels.length !== N) throw new RangeError(`${certifier}: ${labels.length} labels for ${N} images`);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`${certifier}: batchSize ${batchSize} must be an integer >= 1`);
  checkEps(eps);
  const out: CertificateCore[] = [];
  for (let start = 0; start < N; start += batchSize) {
    const t0 = performance.now();
    const end = Math.min(N, start + batchSize);
    const { preds, margins, K } = tidy(() =>
      noGrad(() => {
        const x = images.slice(0, start, end);
        const { logits, shapes } = forwardShapes(net, x);
        const preds = logits.argmax(1).toArray();
        const K = logits.shape[1];
        const m = marginLower(x, marginSpec(preds, K, x.device), shapes);
        return { preds, margins: m.toFloat32Array(), K };
      }),
    );
    const seconds = (performance.now() - t0) / 1000 / (end - start);
    for (let i = start; i < end; i++) {
      const row = Array.from(margins.subarray((i - start) * (K - 1), (i - start + 1) * (K - 1)));
      const verified = row.every((v) => v > 0);
      const prediction = verified ? preds[i - start] : ('abstain' as const);
      const radius = verified ? eps : 0;
      out.push({
        index: i,
        label: labels[i],
        prediction,
        radius,
        norm: 'linf',
        ...verdict(labels[i], prediction, radius),
        certifier,
        marginLower: row,
        seconds,
      });
    }
    onProgress?.(end, N);
  }
  return out;
}
