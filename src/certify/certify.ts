// One entry point for every certifier: certify(kind, model, images, labels, options), each
// returning one Certificate per input (see certificate.ts for the shared semantics).
import { BatchNorm2d, Module } from '../nn/index.js';
import { noGrad, tidy, type Generator, type Tensor } from '../tensor/index.js';
import type { Certificate, CertifierKind } from './certificate.js';
import { certifyCROWN, type CertifyCrownOptions } from './crown.js';
import { certifyDeepPoly, type CertifyDeepPolyOptions } from './deeppoly.js';
import { certifyIBP } from './ibp.js';
import { certifyTightest, type CertifyTightestOptions } from './tightest.js';
import { Smooth, type BaseClassifier } from './smoothing.js';
import type { CertifyBoundsOptions } from './spec.js';

export interface SmoothingCertifyOptions {
  sigma: number;
  n0: number;
  n: number;
  alpha: number;
  generator: Generator;
  batchSize?: number;
  /** Default: the width of the model's output on the first input. */
  numClasses?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface IbpCertifyOptions extends CertifyBoundsOptions {
  eps: number;
}

export interface CrownCertifyOptions extends CertifyCrownOptions {
  eps: number;
}

export interface DeepPolyCertifyOptions extends CertifyDeepPolyOptions {
  eps: number;
}

export interface TightestCertifyOptions extends CertifyTightestOptions {
  eps: number;
}

export type CertifyOptions = SmoothingCertifyOptions | IbpCertifyOptions | CrownCertifyOptions | DeepPolyCertifyOptions | TightestCertifyOptions;

/**
 * Certifies each input of images [N, ...] with the named certifier:
 * - 'smoothing': randomized smoothing CERTIFY (Cohen et al.), L2 radius, with probability at
 *   least 1 − alpha per input; model is a Module or a base classifier returning logits;
 * - 'ibp' / 'crown' / 'deeppoly': the clean prediction verified on the L∞ ball of radius eps
 *   (∩ [0, 1]); deterministic;
 * - 'tightest': the same, with the largest of the margin lower bounds of the methods in `of`.
 */
export function certify(kind: 'smoothing', model: Module | BaseClassifier, images: Tensor, labels: ArrayLike<number>, o: SmoothingCertifyOptions): Certificate[];
export function certify(kind: 'ibp', model: Module, images: Tensor, labels: ArrayLike<number>, o: IbpCertifyOptions): Certificate[];
export function certify(kind: 'crown', model: Module, images: Tensor, labels: ArrayLike<number>, o: CrownCertifyOptions): Certificate[];
export function certify(kind: 'deeppoly', model: Module, images: Tensor, labels: ArrayLike<number>, o: DeepPolyCertifyOptions): Certificate[];
export function certify(kind: 'tightest', model: Module, images: Tensor, labels: ArrayLike<number>, o: TightestCertifyOptions): Certificate[];
export function certify(kind: CertifierKind, model: Module | BaseClassifier, images: Tensor, labels: ArrayLike<number>, o: CertifyOptions): Certificate[];
export function certify(kind: CertifierKind, model: Module | BaseClassifier, images: Tensor, labels: ArrayLike<number>, o: CertifyOptions): Certificate[] {
  if (kind === 'smoothing') {
    const s = o as SmoothingCertifyOptions;
    let base: BaseClassifier;
    if (model instanceof Module) {
      for (const [name, m] of model.namedModules()) {
        if (m instanceof BatchNorm2d && m.training) {
          throw new Error(`smoothing: BatchNorm2d${name ? ` '${name}'` : ''} is in train mode; call model.eval() before certifying`);
        }
      }
      base = (x) => model.forward(x);
    } else base = model;
    const numClasses = s.numClasses ?? tidy(() => noGrad(() => base(images.slice(0, 0, 1)).shape[1]));
    const smooth = new Smooth(base, numClasses, s.sigma, { generator: s.generator, batchSize: s.batchSize });
    return smooth.certifyMany(images, labels, { n0: s.n0, n: s.n, alpha: s.alpha, onProgress: s.onProgress });
  }
  if (!(model instanceof Module)) throw new TypeError(`${kind}: model must be an nn Module (bounds need its layers)`);
  if (kind === 'ibp') return certifyIBP(model, images, labels, (o as IbpCertifyOptions).eps, o as IbpCertifyOptions);
  if (kind === 'crown') return certifyCROWN(model, images, labels, (o as CrownCertifyOptions).eps, o as CrownCertifyOptions);
  if (kind === 'deeppoly') return certifyDeepPoly(model, images, labels, (o as DeepPolyCertifyOptions).eps, o as DeepPolyCertifyOptions);
  if (kind === 'tightest') return certifyTightest(model, images, labels, (o as TightestCertifyOptions).eps, o as TightestCertifyOptions);
  throw new RangeError(`certify: unknown certifier '${String(kind)}' (known: smoothing, ibp, crown, deeppoly, tightest)`);
}
