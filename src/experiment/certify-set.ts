// Certifying one evaluated set (clean or triggered inputs, poisoned or baseline model) with one
// certifier, in chunks: after each chunk the certificates so far are written (atomically) to a
// partial file, so Ctrl-C or a crash loses at most one chunk and a rerun continues from there.
// Certifiers that can take long per chunk (smoothing with a large n) pause between batches, so
// Ctrl-C is seen within a batch; the interrupted chunk is dropped and recomputed from its seed.
// Before a chunk is certified the model's logits on it are checked: NaN or infinite logits stop
// the certification (no certifier may certify from them).
// The partial file is named by the stage hash (config, and the digest of the model), so a
// changed config or another model never resumes it. Each chunk's randomness comes from its own
// seed, so a resumed run equals an unbroken one.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { certifierOptions, type ExperimentConfig } from '../config/index.js';
import { CERTIFIERS } from '../catalog/index.js';
import type { Dataset } from '../data/index.js';
import type { Module } from '../nn/index.js';
import { noGrad, tidy, type Tensor } from '../tensor/index.js';
import { NonFiniteLogitsError, readCertificatesJsonl, writeCertificatesJsonl, type Certificate } from '../certify/index.js';
import { gatherBatch, deriveSeed } from '../train/loop.js';
import { createProgress } from '../train/progress.js';
import { Interrupted, interruptRequested, withInterruptHandler, yieldToEventLoop } from '../util/interrupt.js';
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

export interface CertifyRangeOptions {
  /** Awaited between units of work of certifiers that have an async path; may throw to stop. */
  between?: () => Promise<void>;
  log?: (line: string) => void;
}

/** Throws NonFiniteLogitsError when the model's logits on images [N, ...] hold a NaN or infinity, naming the first such input. */
export function assertFiniteLogits(model: Module, images: Tensor, set: EvalSet, start: number): void {
  noGrad(() =>
    tidy(() => {
      const logits = model.forward(images);
      if (Number.isFinite(logits.abs().max().item())) return;
      const i = logits.isfinite().logicalNot().sum(1).toArray().findIndex((v) => v > 0);
      throw new NonFiniteLogitsError(
        `the model gives NaN or infinite logits on test input ${set.data.originIndex(start + i)} (${set.name} set); ` +
          'no certificate can be computed from them (are its weights broken, or did training diverge?)',
      );
    }),
  );
}

/** Certificates for the inputs [start, end) of the set, with their positions and data set indices. */
export async function certifyRange(cfg: ExperimentConfig, kind: string, set: EvalSet, start: number, end: number, chunkIndex: number, o: CertifyRangeOptions = {}): Promise<Certificate[]> {
  const engine = await certifierEngine(kind);
  const options = certifierOptions(cfg, kind);
  const { model, data } = set;
  model.eval();
  const labels = Array.from(data.labels.subarray(start, end));
  const ctx = { seed: deriveSeed(cfg.seed, `${kind}/${set.name}`, chunkIndex), numClasses: data.numClasses, log: o.log };
  const x = tidy(() => gatherBatch(data, range(start, end), model.device).x);
  try {
    assertFiniteLogits(model, x, set, start);
    const certs =
      engine.certifyAsync && o.between
        ? await engine.certifyAsync(model, x, labels, options, { ...ctx, between: o.between })
        : noGrad(() => tidy(() => engine.certify(model, x, labels, options, ctx)));
    return certs.map((c, i) => ({ ...c, index: start + i, datasetIndex: data.originIndex(start + i) }));
  } finally {
    x.dispose();
  }
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
  const stop = () => {
    progress.stop();
    return new CertificationInterrupted(`certification interrupted; ${done.length} of ${n} inputs are saved in ${partial} (run again to continue)`);
  };
  // Between batches of a chunk: let Ctrl-C be handled (at most every 50 ms: a yield costs a
  // little), and stop there; the chunk is redone from its seed on resume.
  let yielded = Date.now();
  const between = async () => {
    if (interruptRequested()) throw stop();
    if (Date.now() - yielded < 50) return;
    await yieldToEventLoop();
    yielded = Date.now();
    if (interruptRequested()) throw stop();
  };
  const said = new Set<string>();
  const logOnce = (line: string) => void (said.has(line) || (said.add(line), o.log?.(line)));
  await withInterruptHandler(async () => {
    for (let start = done.length; start < n; start += chunk) {
      if (interruptRequested()) throw stop();
      const end = Math.min(n, start + chunk);
      done = done.concat(await certifyRange(cfg, kind, set, start, end, start / chunk, { between, log: logOnce }));
      writeCertificatesJsonl(partial, done);
      progress.update(done.length);
      await yieldToEventLoop();
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
