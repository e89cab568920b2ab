// Certifying one evaluated set (clean or triggered inputs, poisoned or baseline model) with one
// certifier, in chunks: after each chunk the certificates so far are written (atomically) to a
// partial file, so Ctrl-C or a crash loses at most one chunk and a rerun continues from there.
// The partial file is named by the stage hash (config, and the digest of the model), so a
// changed config or another model never resumes it. Each chunk's randomness comes from its own
// seed, so a resumed run equals an unbroken one.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { certifierOptions, type ExperimentConfig } from '../config/index.js';
import { CERTIFIERS } from '../catalog/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { noGrad, tidy } from '../tensor/index.js';
import { readCertificatesJsonl, writeCertificatesJsonl, type Certificate } from '../certify/index.js';
import { gatherBatch, deriveSeed } from '../train/loop.js';
import { createProgress } from '../train/progress.js';
import { Interrupted, interruptRequested, withInterruptHandler } from '../util/interrupt.js';
import { certifierEngine } from './engines.js';

export interface EvalSet {
  /** clean, trigger, baseline, baseline-trigger (its certificates' file and seed stream). */
  name: string;
  model: Module;
  data: Dataset;
}

export interface CertifySetOptions {
  /** Final JSONL file; the partial one sits beside it. */
  file: string;
  /** The stage hash the certificates belong to (names the partial file). */
  hash: string;
  resume: boolean;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
  /** Inputs per chunk (default: the certifier's, from the catalog). */
  chunk?: number;
}

export class CertificationInterrupted extends Interrupted {}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Certificates for the inputs [start, end) of the set, with their positions and data set indices. */
export async function certifyRange(cfg: ExperimentConfig, kind: string, set: EvalSet, start: number, end: number, chunkIndex: number): Promise<Certificate[]> {
  const engine = await certifierEngine(kind);
  const options = certifierOptions(cfg, kind);
  const { model, data } = set;
  model.eval();
  return noGrad(() =>
    tidy(() => {
      const batch = gatherBatch(data, range(start, end), model.device);
      const labels = Array.from(data.labels.subarray(start, end));
      const seed = deriveSeed(cfg.seed, `${kind}/${set.name}`, chunkIndex);
      const certs = engine.certify(model, batch.x, labels, options, { seed, numClasses: data.numClasses });
      return certs.map((c, i) => ({ ...c, index: start + i, datasetIndex: data.originIndex(start + i) }));
    }),
  );
}

/** The partial file of a stage hash, and every partial of the same file (stale ones are removed). */
const partialOf = (file: string, hash: string) => `${file}.${hash.slice(0, 16)}.partial`;
function removeStalePartials(file: string, keep: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) return;
  const prefix = `${basename(file)}.`;
  for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith('.partial') && join(dir, f) !== keep) rmSync(join(dir, f), { force: true });
}

export async function certifySet(cfg: ExperimentConfig, kind: string, set: EvalSet, o: CertifySetOptions): Promise<Certificate[]> {
  const partial = partialOf(o.file, o.hash);
  removeStalePartials(o.file, partial);
  const n = set.data.length;
  const chunk = o.chunk ?? CERTIFIERS.get(kind).chunk;
  let done: Certificate[] = o.resume && existsSync(partial) ? readCertificatesJsonl(partial, { numClasses: set.data.numClasses }) : [];
  if (done.length > n || done.some((c, i) => c.index !== i)) done = []; // not a prefix of this set: start over
  if (done.length % chunk !== 0 && done.length !== n) done = done.slice(0, done.length - (done.length % chunk));
  if (done.length) o.log?.(`certify ${kind} (${set.name}): resuming after ${done.length} of ${n} inputs`);
  const progress = createProgress({ total: n, label: `certify ${kind} (${set.name})`, unit: 'inputs', bar: o.progress, log: o.log });
  await withInterruptHandler(async () => {
    for (let start = done.length; start < n; start += chunk) {
      if (interruptRequested()) throw new CertificationInterrupted(`certification interrupted; ${done.length} of ${n} inputs are saved in ${partial} (run again to continue)`);
      const end = Math.min(n, start + chunk);
      done = done.concat(await certifyRange(cfg, kind, set, start, end, start / chunk));
      writeCertificatesJsonl(partial, done);
      progress.update(done.length);
      await new Promise<void>((r) => setImmediate(r));
    }
  });
  const right = done.filter((c) => c.vouched && c.correct).length;
  progress.stop(`${right}/${n} certified correct at the certifier's own radius`);
  writeCertificatesJsonl(partial, done); // also when nothing was left to do (an empty set)
  renameSync(partial, o.file);
  return done;
}

/** The plain model's predicted class for every input of the set (for clean accuracy). */
export function modelPredictions(model: Module, data: Dataset, batchSize = 1000): number[] {
  model.eval();
  const out: number[] = [];
  noGrad(() => {
    for (let s = 0; s < data.length; s += batchSize) {
      out.push(...tidy(() => model.forward(gatherBatch(data, range(s, Math.min(data.length, s + batchSize)), model.device).x).argmax(1).toArray()));
    }
  });
  return out;
}
