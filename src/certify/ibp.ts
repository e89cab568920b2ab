// Interval bound propagation (Gowal et al. 2018): elementwise bounds pushed layer by layer
// through the network over the L∞ ball of radius eps around x, intersected with the input
// domain. For the margins, the trailing affine layers (at least the final Linear) are folded
// into the specification C = e_c − e_j before the interval is concretised, as Gowal et al. do:
// tighter than subtracting the logit intervals, and just as sound.
//
// Guarantee (deterministic, no failure probability): for every x' in the region,
// logits(x') lies in [lower, upper] and C·logits(x') >= the returned margin lower bounds
// (up to float32 rounding).
import type { Module } from '../nn/index.js';
import { tidy, type Tensor } from '../tensor/index.js';
import type { Certificate } from './certificate.js';
import { intervalContext } from './bounds/index.js';
import {
  boundNetwork,
  certifyWithBounds,
  concretizeLower,
  forwardShapes,
  inputBox,
  marginSpec,
  type BoundNetwork,
  type BoxOptions,
  type CertifyBoundsOptions,
} from './spec.js';

/** Interval bounds through layers [from, to) of the network. */
export function intervalThrough(net: BoundNetwork, lo: Tensor, hi: Tensor, from = 0, to = net.layers.length): [Tensor, Tensor] {
  let [l, u] = [lo, hi];
  for (let k = from; k < to; k++) [l, u] = net.ops[k].interval(net.layers[k], l, u, intervalContext);
  return [l, u];
}

/** The first layer of the affine tail: layers [t, end) are all affine (t = end when the last is not). */
export function affineTailStart(net: BoundNetwork): number {
  let t = net.layers.length;
  while (t > 0 && net.ops[t - 1].affine && net.ops[t - 1].backward) t--;
  return t;
}

/** IBP bounds of the logits [B, K] over the region around each input of x [B, ...]. */
export function ibpBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, o: BoxOptions = {}): { lower: Tensor; upper: Tensor } {
  return tidy(() => {
    const net = boundNetwork(model, 'ibp');
    const [lo, hi] = inputBox(x, eps, o);
    const [lower, upper] = intervalThrough(net, lo, hi);
    return { lower, upper };
  });
}

/**
 * Lower bounds [B, S] of C·logits over the region, C [B, S, K]: IBP up to the affine tail, the
 * tail folded into C. `shapes` (per-layer input shapes) is computed when not given.
 * Differentiable (for IBP training) when called outside noGrad.
 */
export function ibpSpecBounds(
  model: Module | BoundNetwork,
  x: Tensor,
  eps: number | ArrayLike<number>,
  C: Tensor,
  o: BoxOptions & { shapes?: number[][] } = {},
): Tensor {
  return tidy(() => {
    const net = 'ops' in model ? model : boundNetwork(model, 'ibp');
    const shapes = o.shapes ?? forwardShapes(net, x.slice(0, 0, 1)).shapes;
    const t = affineTailStart(net);
    let A = C;
    let bias: Tensor | null = null;
    for (let k = net.layers.length - 1; k >= t; k--) {
      const r = net.ops[k].backward!(net.layers[k], A, { inputShape: shapes[k], lowerSlope: 'adaptive' });
      A = r.A;
      if (r.bias) bias = bias ? bias.add(r.bias) : r.bias;
    }
    const [lo, hi] = inputBox(x, eps, o);
    const [l, u] = intervalThrough(net, lo, hi, 0, t);
    return concretizeLower(A, bias, l, u);
  });
}

/** IBP lower bounds [B, K−1] of logit_c − logit_j (j ≠ c) for the given class c of each input. */
export function ibpMarginBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, classes: ArrayLike<number>, o: BoxOptions = {}): Tensor {
  return tidy(() => {
    const net = boundNetwork(model, 'ibp');
    const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
    return ibpSpecBounds(net, x, eps, marginSpec(classes, shapes[shapes.length - 1][0], x.device), { ...o, shapes });
  });
}

/**
 * IBP certification of each input of images [N, ...]: the prediction (argmax of the clean
 * logits) is certified on the L∞ ball of radius eps (∩ the domain) when every IBP margin lower
 * bound of the predicted class is > 0; otherwise the certificate abstains. See
 * certifyWithBounds for the certificate's fields. Deterministic guarantee (no failure
 * probability), up to float32 rounding.
 */
export function certifyIBP(model: Module, images: Tensor, labels: ArrayLike<number>, eps: number, o: CertifyBoundsOptions = {}): Certificate[] {
  const net = boundNetwork(model, 'ibp');
  return certifyWithBounds('ibp', net, images, labels, eps, o.batchSize ?? 256, o.onProgress, (x, C, shapes) =>
    ibpSpecBounds(net, x, eps, C, { ...o, shapes }),
  );
}
