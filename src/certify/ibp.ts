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
import type { CertificateCore } from './certificate.js';
import type { CertifierEngine } from './engine.js';
import { intervalNodes } from './bounds/index.js';
import { backsubstitute } from './backsub.js';
import {
  boundNetwork,
  certifyWithBounds,
  forwardShapes,
  inputBox,
  marginSpec,
  type BoundNetwork,
  type BoxOptions,
  type CertifyBoundsOptions,
} from './spec.js';

/** IBP bounds of the logits [B, K] over the region around each input of x [B, ...]. */
export function ibpBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, o: BoxOptions = {}): { lower: Tensor; upper: Tensor } {
  return tidy(() => {
    const net = boundNetwork(model, 'ibp');
    const [lower, upper] = intervalNodes(net, inputBox(x, eps, o))[net.output];
    return { lower, upper };
  });
}

/**
 * Lower bounds [B, S] of C·logits over the region, C [B, S, K]: IBP up to the affine tail (the
 * affine nodes before the output, back to the first non-affine one), the tail folded into C.
 * `shapes` (per-node output shapes) is computed when not given. Differentiable (for IBP
 * training) when called outside noGrad.
 */
export function ibpSpecBounds(
  model: Module | BoundNetwork,
  x: Tensor,
  eps: number | ArrayLike<number>,
  C: Tensor,
  o: BoxOptions & { shapes?: number[][] } = {},
): Tensor {
  return tidy(() => {
    const net = 'nodes' in model ? model : boundNetwork(model, 'ibp');
    const shapes = o.shapes ?? forwardShapes(net, x.slice(0, 0, 1)).shapes;
    const affineTail = (j: number) => net.nodes[j].affine && net.nodes[j].backward !== undefined;
    // boxes are needed up to where the folding stops: the first node of the tail's chain
    let t = net.output;
    while (t > 1 && affineTail(t) && net.nodes[t].inputs.length === 1 && net.nodes[t].inputs[0] === t - 1) t--;
    const boxes = intervalNodes(net, inputBox(x, eps, o), t);
    return backsubstitute(net, shapes, boxes, net.output, C, { lowerSlope: 'adaptive', stopAt: (j) => !affineTail(j) });
  });
}

/** IBP lower bounds [B, K−1] of logit_c − logit_j (j ≠ c) for the given class c of each input. */
export function ibpMarginBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, classes: ArrayLike<number>, o: BoxOptions = {}): Tensor {
  return tidy(() => {
    const net = boundNetwork(model, 'ibp');
    const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
    return ibpSpecBounds(net, x, eps, marginSpec(classes, shapes[net.output][0], x.device), { ...o, shapes });
  });
}

/**
 * IBP certification of each input of images [N, ...]: the prediction (argmax of the clean
 * logits) is certified on the L∞ ball of radius eps (∩ the domain) when every IBP margin lower
 * bound of the predicted class is > 0; otherwise the certificate abstains. See
 * certifyWithBounds for the certificate's fields. Deterministic guarantee (no failure
 * probability), up to float32 rounding.
 */
export function certifyIBP(model: Module, images: Tensor, labels: ArrayLike<number>, eps: number, o: CertifyBoundsOptions = {}): CertificateCore[] {
  const net = boundNetwork(model, 'ibp');
  return certifyWithBounds('ibp', net, images, labels, eps, o.batchSize ?? 256, o.onProgress, (x, C, shapes) =>
    ibpSpecBounds(net, x, eps, C, { ...o, shapes }),
  );
}

/** The options of the `ibp` kind (schema and defaults: src/catalog/certifiers.ts). */
export interface IbpCertifierOptions {
  epsilon: number;
  batchSize: number;
}

export const engine: CertifierEngine<IbpCertifierOptions> = {
  name: 'ibp',
  certify: (model, images, labels, o) => certifyIBP(model, images, labels, o.epsilon, { batchSize: o.batchSize }),
};
