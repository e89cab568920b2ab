// DeepPoly (Singh, Gehr, Püschel, Vechev 2019, "An abstract domain for certifying neural
// networks"; ERAN). Each neuron keeps one linear lower and one linear upper constraint in terms
// of the previous layer's neurons, plus concrete bounds; concrete bounds come from
// back-substituting the constraints to the input (backsub.ts). ReLU on l < 0 < u: the upper
// line through (l, 0) and (u, u), the lower line y >= λx with λ = 1 if u > −l else 0 (the
// smaller-area choice); exact when stable. MaxPool2d and the residual sum use the same
// relaxations as CROWN (bounds/maxpool2d.ts, graph.ts).
//
// Relation to CROWN: for ReLU networks the relaxations coincide (CROWN's adaptive lower slope
// is DeepPoly's up to ties u = −l), and so does back-substitution to the input. What DeepPoly
// adds, as ERAN implements it, is that back-substitution also concretises at each intermediate
// layer's concrete bounds on the way (every frontier of bounded nodes: back-substituted bounds,
// and the outputs of ReLU and MaxPool) and keeps the tightest. Every partial substitution is a
// valid bound, so this is sound. DeepPoly bounds every neuron of a relaxed layer's input by
// back-substitution (not only the unstable ones, as our CROWN does), since the concretisations
// use all of them.
//
// Tighter or looser than CROWN? With the same intermediate bounds (intermediate 'crown' or
// 'ibp') every relaxation is CROWN's and DeepPoly only adds candidates to a maximum: never
// looser (up to float rounding). With its own (default), the intermediate bounds are tighter,
// but a linear bound is not monotone in the intermediate bounds it relaxes with (a tighter box
// can flip the ReLU's lower line), so a margin can come out slightly looser than CROWN's
// (measured: 0.0744 against 0.0763 on one input of a random MLP). Where CROWN is looser than
// IBP (IBP-trained networks) it can be far tighter: 57 against CROWN's 37 of 100 certified on
// the IBP-trained MLP of test/certify/tightest.test.ts. certifyTightest takes the best of
// several methods per margin.
//
// Guarantee (deterministic, no failure probability): for every x' in the L∞ ball ∩ the input
// domain, C·logits(x') >= the returned lower bounds (up to float32 rounding).
import type { Module } from '../nn/index.js';
import { tidy, type Tensor } from '../tensor/index.js';
import type { Certificate } from './certificate.js';
import type { LowerSlope } from './bounds/index.js';
import { linearSpecBounds } from './backsub.js';
import { boundNetwork, certifyWithBounds, forwardShapes, marginSpec, type BoundNetwork, type BoxOptions, type CertifyBoundsOptions } from './spec.js';

export interface DeepPolyOptions extends BoxOptions {
  /**
   * Where the intermediate bounds come from: DeepPoly's back-substitution, concretised at every
   * layer on the way (default); CROWN's, concretised at the input only ('crown': then DeepPoly
   * is never looser than CROWN); or IBP ('ibp': never looser than CROWN-IBP).
   */
  intermediate?: 'deeppoly' | 'crown' | 'ibp';
  /** The ReLU lower line on unstable neurons (default 'deeppoly': λ = 1 if u > −l else 0). */
  lowerSlope?: LowerSlope;
  /** Elements of the largest coefficient tensor in the intermediate-bound passes (default 2^22); rows are chunked to fit. */
  maxElements?: number;
}

/**
 * DeepPoly lower bounds [B, S] of C·logits over the region around each input of x, C [B, S, K].
 * Differentiable when called outside noGrad.
 */
export function deepPolySpecBounds(
  model: Module | BoundNetwork,
  x: Tensor,
  eps: number | ArrayLike<number>,
  C: Tensor,
  o: DeepPolyOptions & { shapes?: number[][] } = {},
): Tensor {
  const net = 'nodes' in model ? model : boundNetwork(model, 'deeppoly');
  const intermediate = o.intermediate ?? 'deeppoly';
  if (!['deeppoly', 'crown', 'ibp'].includes(intermediate)) throw new RangeError(`deeppoly: intermediate '${intermediate}' is not one of deeppoly, crown, ibp`);
  return linearSpecBounds('deeppoly', net, x, eps, C, {
    ...o,
    intermediate: intermediate === 'ibp' ? 'ibp' : 'backsub',
    lowerSlope: o.lowerSlope ?? 'deeppoly',
    maxElements: o.maxElements ?? 2 ** 22,
    multiDepth: intermediate === 'deeppoly' ? 'all' : 'final',
    tighten: 'all',
  });
}

/** DeepPoly lower bounds [B, K−1] of logit_c − logit_j (j ≠ c) for the given class c of each input. */
export function deepPolyMarginBounds(model: Module, x: Tensor, eps: number | ArrayLike<number>, classes: ArrayLike<number>, o: DeepPolyOptions = {}): Tensor {
  return tidy(() => {
    const net = boundNetwork(model, 'deeppoly');
    const { shapes } = forwardShapes(net, x.slice(0, 0, 1));
    return deepPolySpecBounds(net, x, eps, marginSpec(classes, shapes[net.output][0]), { ...o, shapes });
  });
}

export interface CertifyDeepPolyOptions extends CertifyBoundsOptions, DeepPolyOptions {}

/**
 * DeepPoly certification of each input of images [N, ...], with the same semantics as
 * certifyIBP and certifyCROWN: the clean prediction is certified on the L∞ ball of radius eps
 * (∩ the domain) when every DeepPoly margin lower bound of the predicted class is > 0, otherwise
 * the certificate abstains. Deterministic guarantee, up to float32 rounding.
 */
export function certifyDeepPoly(model: Module, images: Tensor, labels: ArrayLike<number>, eps: number, o: CertifyDeepPolyOptions = {}): Certificate[] {
  const net = boundNetwork(model, 'deeppoly');
  return certifyWithBounds('deeppoly', net, images, labels, eps, o.batchSize ?? 32, o.onProgress, (x, C, shapes) =>
    deepPolySpecBounds(net, x, eps, C, { ...o, shapes }),
  );
}
