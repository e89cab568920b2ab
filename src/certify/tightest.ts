// The tightest of several bound-based certifiers, per input and per margin: each of IBP, CROWN
// and DeepPoly gives a sound lower bound of every margin logit_c − logit_j over the region, so
// their elementwise maximum is one too, and it is never looser than any of them. The point: on
// IBP-trained networks CROWN's linear relaxations are often looser than IBP's boxes, on
// normally trained ones IBP is far looser than CROWN; the maximum certifies whatever either does
// (and sometimes more, when different margins of one input are best bounded by different
// methods).
//
// Guarantee (deterministic, no failure probability): for every x' in the L∞ ball ∩ the input
// domain, C·logits(x') >= the returned lower bounds (up to float32 rounding).
import type { Module } from '../nn/index.js';
import { tidy, type Tensor } from '../tensor/index.js';
import type { Certificate } from './certificate.js';
import { crownSpecBounds, type CrownOptions } from './crown.js';
import { deepPolySpecBounds, type DeepPolyOptions } from './deeppoly.js';
import { ibpSpecBounds } from './ibp.js';
import { boundNetwork, certifyWithBounds, type BoundNetwork, type BoxOptions, type CertifyBoundsOptions } from './spec.js';

export type BoundCertifier = 'ibp' | 'crown' | 'deeppoly';
const known: readonly BoundCertifier[] = ['ibp', 'crown', 'deeppoly'];

export interface TightestOptions extends BoxOptions {
  /** The methods whose bounds are combined (at least one). */
  of: BoundCertifier[];
  /** Options of the CROWN and DeepPoly bounds (the box options above apply to all). */
  crown?: Omit<CrownOptions, keyof BoxOptions>;
  deeppoly?: Omit<DeepPolyOptions, keyof BoxOptions>;
}

function checkMethods(of: unknown): BoundCertifier[] {
  if (!Array.isArray(of) || of.length === 0) throw new RangeError(`tightest: 'of' must name at least one of ${known.join(', ')}`);
  for (const m of of) {
    if (!known.includes(m)) throw new RangeError(`tightest: unknown method '${String(m)}' in 'of' (known: ${known.join(', ')})`);
  }
  return known.filter((m) => of.includes(m));
}

/** The graph the named methods share (built for the most demanding one, for its error messages). */
function networkFor(model: Module, methods: BoundCertifier[]): BoundNetwork {
  return boundNetwork(model, methods.includes('deeppoly') ? 'deeppoly' : methods.includes('crown') ? 'crown' : 'ibp');
}

/**
 * The elementwise maximum [B, S] of the lower bounds of C·logits (C [B, S, K]) that the named
 * methods give over the region around each input of x. Differentiable when called outside noGrad.
 */
export function tightestSpecBounds(
  model: Module | BoundNetwork,
  x: Tensor,
  eps: number | ArrayLike<number>,
  C: Tensor,
  o: TightestOptions & { shapes?: number[][] },
): Tensor {
  const methods = checkMethods(o.of);
  return tidy(() => {
    const net = 'nodes' in model ? model : networkFor(model, methods);
    const box: BoxOptions & { shapes?: number[][] } = { clip: o.clip, domain: o.domain, shapes: o.shapes };
    const bound = (m: BoundCertifier): Tensor => {
      if (m === 'ibp') return ibpSpecBounds(net, x, eps, C, box);
      if (m === 'crown') return crownSpecBounds(net, x, eps, C, { ...o.crown, ...box });
      return deepPolySpecBounds(net, x, eps, C, { ...o.deeppoly, ...box });
    };
    return methods.map(bound).reduce((a, b) => a.maximum(b));
  });
}

export interface CertifyTightestOptions extends CertifyBoundsOptions, TightestOptions {}

/**
 * Certification of each input of images [N, ...] by the tightest of the named methods' margin
 * lower bounds, with the same semantics as certifyIBP and certifyCROWN (certifier 'tightest';
 * marginLower holds the elementwise maxima). Default batch size: 32 when CROWN or DeepPoly is
 * among the methods, else 256. Deterministic guarantee, up to float32 rounding.
 */
export function certifyTightest(model: Module, images: Tensor, labels: ArrayLike<number>, eps: number, o: CertifyTightestOptions): Certificate[] {
  const methods = checkMethods(o?.of);
  const net = networkFor(model, methods);
  const batchSize = o.batchSize ?? (methods.some((m) => m !== 'ibp') ? 32 : 256);
  return certifyWithBounds('tightest', net, images, labels, eps, batchSize, o.onProgress, (x, C, shapes) =>
    tightestSpecBounds(net, x, eps, C, { ...o, of: methods, shapes }),
  );
}
