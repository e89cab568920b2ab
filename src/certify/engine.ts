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
}

/** Per-input certificates for images [N, ...]; `index` is the position in `images`, `datasetIndex` is set by the caller. */
export interface CertifierEngine<O> {
  /** The name it is registered under in the catalog. */
  name: string;
  certify(model: Module, images: Tensor, labels: ArrayLike<number>, options: O, ctx: CertifyContext): CertificateCore[];
}
