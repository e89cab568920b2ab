// The run function a certifier registers under its catalog name (src/catalog/certifiers.ts loads
// the kind's file and takes its `engine`). The runner, the CLI and the API all certify through it.
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import type { CertificateCore } from './certificate.js';

export interface CertifyContext {
  /**
   * Seed of everything random in this call (smoothing's noise). The caller derives one per chunk
   * of inputs, so a resumed certification equals an unbroken one.
   */
  seed: number;
  numClasses: number;
  /** Where a certifier says something worth knowing (e.g. that it split too large batches). */
  log?: (line: string) => void;
}

/** The async path's context: `between` is awaited between units of work and may throw to stop (Ctrl-C). */
export interface CertifyAsyncContext extends CertifyContext {
  between: () => Promise<void>;
}

/** The model gave NaN or infinite logits: a certificate computed from them would be meaningless. */
export class NonFiniteLogitsError extends Error {
  override name = 'NonFiniteLogitsError';
}

/** Per-input certificates for images [N, ...]; `index` is the position in `images`, `datasetIndex` is set by the caller. */
export interface CertifierEngine<O> {
  /** The name it is registered under in the catalog. */
  name: string;
  certify(model: Module, images: Tensor, labels: ArrayLike<number>, options: O, ctx: CertifyContext): CertificateCore[];
  /**
   * The same certificates, computed with pauses (ctx.between) between units of work, for
   * certifiers whose one call can take long (smoothing with a large n): the caller handles
   * Ctrl-C there. Optional; certify is used when absent.
   */
  certifyAsync?(model: Module, images: Tensor, labels: ArrayLike<number>, options: O, ctx: CertifyAsyncContext): Promise<CertificateCore[]>;
}
