// Certifying one evaluated set (clean or triggered inputs, poisoned or baseline model) with one
// certifier, in chunks: after each chunk the certificates so far are written (atomically) to a
// partial file, so Ctrl-C or a crash loses at most one chunk and a rerun continues from there.
// Each chunk's smoothing noise comes from its own seed, so a resumed run equals an unbroken one.
import { existsSync, renameSync, rmSync } from 'node:fs';
import type { CertifierName, ExperimentConfig } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { Generator, noGrad, tidy } from '../tensor/index.js';
import { Smooth, certifyCROWN, certifyIBP } from '../certify/index.js';
import type { Certificate } from '../certify/certificate.js';
import type { EvalSetName } from './stages.js';
import { readCertificatesJsonl, writeCertificatesJsonl } from '../report/index.js';
import { gatherBatch, deriveSeed } from '../train/loop.js';
import { createProgress } from '../train/progress.js';
import { Interrupted, interruptRequested, withInterruptHandler } from '../util/interrupt.js';

export interface EvalSet {
  name: EvalSetName;
  model: Module;
  data: Dataset;
}

export interface CertifySetOptions {
  /** Final JSONL file; the partial one sits beside it. */
  file: string;
  resume: boolean;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  /** Inputs per chunk (default: 50 for smoothing, 200 for bounds). */
  chunk?: number;
}

export class CertificationInterrupted extends Interrupted {}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Certificates for the inputs [start, end) of the set. */
export function certifyRange(cfg: ExperimentConfig, kind: CertifierName, set: EvalSet, start: number, end: number, chunkIndex: number): Certificate[] {
  const { model, data } = set;
  model.eval();
  const device = model.device;
  return noGrad(() =>
    tidy(() => {
      const batch = gatherBatch(data, range(start, end), device);
      const labels = Array.from(data.labels.subarray(start, end));
      let certs: Certificate[];
      if (kind === 'smoothing') {
        const s = cfg.certify.smoothing;
        const generator = new Generator(deriveSeed(cfg.seed, `smoothing/${set.name}`, chunkIndex), device);
        const smooth = new Smooth((x) => model.forward(x), data.numClasses, s.sigma, { generator, batchSize: s.batchSize });
        certs = smooth.certifyMany(batch.x, labels, { n0: s.n0, n: s.n, alpha: s.alpha });
      } else if (kind === 'ibp') {
        certs = certifyIBP(model, batch.x, labels, cfg.certify.ibp.epsilon);
      } else {
        certs = certifyCROWN(model, batch.x, labels, cfg.certify.crown.epsilon);
      }
      return certs.map((c, i) => ({ ...c, index: start + i }));
    }),
  );
}

export async function certifySet(cfg: ExperimentConfig, kind: CertifierName, set: EvalSet, o: CertifySetOptions): Promise<Certificate[]> {
  const partial = `${o.file}.partial`;
  const n = set.data.length;
  const chunk = o.chunk ?? (kind === 'smoothing' ? 50 : 200);
  let done: Certificate[] = o.resume && existsSync(partial) ? readCertificatesJsonl(partial) : [];
  if (done.length % chunk !== 0 && done.length !== n) done = done.slice(0, done.length - (done.length % chunk));
  const progress = createProgress({ total: n, label: `certify ${kind} (${set.name})`, unit: 'inputs', bar: o.progress, log: o.log });
  await withInterruptHandler(async () => {
    for (let start = done.length; start < n; start += chunk) {
      if (interruptRequested()) throw new CertificationInterrupted(`certification interrupted; ${done.length} of ${n} inputs are saved in ${partial} (run again to continue)`);
      const end = Math.min(n, start + chunk);
      done = done.concat(certifyRange(cfg, kind, set, start, end, start / chunk));
      writeCertificatesJsonl(partial, done);
      progress.update(done.length);
      await new Promise<void>((r) => setImmediate(r));
    }
  });
  const certified = done.filter((c) => c.certified && c.prediction === c.label).length;
  progress.stop(`${certified}/${n} certified correct at the certifier's own radius`);
  renameSync(partial, o.file);
  rmSync(partial, { force: true });
  return done;
}

/** The plain model's predicted class for every input of the set (for clean accuracy). */
export function modelPredictions(model: Module, data: Dataset, batchSize = 1000): number[] {
  model.eval();
  const device = model.device;
  const out: number[] = [];
  noGrad(() => {
    for (let s = 0; s < data.length; s += batchSize) {
      out.push(...tidy(() => model.forward(gatherBatch(data, range(s, Math.min(data.length, s + batchSize)), device).x).argmax(1).toArray()));
    }
  });
  return out;
}
