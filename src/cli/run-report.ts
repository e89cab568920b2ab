// The report stage outside runExperiment: metrics, summary.json, plots and report.html from the
// certificates in a run folder. `abstain certify` (a user's own model, no training) and
// `abstain report` (rebuild from certs-*.jsonl) use it; it computes exactly what
// runExperiment's report stage computes.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentRadiusFor, loadConfig, type CertifierName, type ExperimentConfig } from '../config/index.js';
import { loadSource, take, type Dataset } from '../data/index.js';
import { applyTrigger, makeTrigger } from '../poison/index.js';
import { radiusKey, summarizeCertifier, type Summary } from '../pipeline/metrics.js';
import { radiiFor, triggerSpec } from '../pipeline/experiment.js';
import { formatTable, writeReport, writeSummary } from '../report/index.js';
import { torchVersion } from '../tensor/index.js';
import type { Certificate } from '../certify/certificate.js';
import { CliError } from './io.js';

/** The evaluated test inputs of a config, clean and triggered (the same ones runExperiment certifies). */
export function evalData(cfg: ExperimentConfig): { clean: Dataset; triggered: Dataset } {
  const dataDir = cfg.data.dataDir || undefined;
  const testSet = loadSource(cfg.data.dataset, { split: 'test', dataDir, limit: cfg.data.testLimit > 0 ? cfg.data.testLimit : undefined });
  const n = cfg.eval.testInputs > 0 ? Math.min(cfg.eval.testInputs, testSet.length) : testSet.length;
  const clean = n < testSet.length ? take(testSet, n, cfg.seed) : testSet;
  return { clean, triggered: applyTrigger(clean, makeTrigger(triggerSpec(cfg), clean.shape)) };
}

export interface CertSets {
  clean: Certificate[];
  trigger: Certificate[];
  baseline?: Certificate[];
}

export interface ReportExtras {
  /** Plain-model predictions per set (clean accuracy); without them accuracy comes from the certifier. */
  predictions?: { clean?: number[]; trigger?: number[]; baseline?: number[] };
  data?: { clean: Dataset; triggered: Dataset };
  timings?: Record<string, number>;
  title?: string;
}

/** Writes summary.json, plots/*.svg and report.html into runDir; returns the summary and its table. */
export async function writeRunReport(
  runDir: string,
  cfg: ExperimentConfig,
  certs: Partial<Record<CertifierName, CertSets>>,
  x: ReportExtras = {},
): Promise<{ summary: Summary; table: string }> {
  const kinds = cfg.certify.kinds.filter((k) => certs[k]);
  const summary: Summary = {};
  for (const kind of kinds) {
    const c = certs[kind]!;
    summary[kind] = summarizeCertifier({
      certifier: kind,
      clean: c.clean,
      triggered: c.trigger,
      baseline: c.baseline,
      predictions: { clean: x.predictions?.clean, triggered: x.predictions?.trigger, baseline: c.baseline ? x.predictions?.baseline : undefined },
      radii: radiiFor(cfg, kind),
      deploymentRadius: deploymentRadiusFor(cfg, kind),
      triggerShares: cfg.fallback.triggerShares,
      costPerRequest: cfg.fallback.costPerRequest,
    });
  }
  const file = writeSummary(runDir, summary, { config: cfg, seed: cfg.seed, versions: { libtorch: torchVersion() }, timings: x.timings });
  const pick = (ds: Dataset) => Array.from({ length: Math.min(8, ds.length) }, (_, i) => ({ data: ds.image(i), shape: ds.shape }));
  await writeReport(runDir, {
    summary: file,
    certificates: Object.fromEntries(kinds.map((k) => [k, { clean: certs[k]!.clean, triggered: certs[k]!.trigger, baseline: certs[k]!.baseline }])),
    examples: x.data ? { clean: pick(x.data.clean), triggered: pick(x.data.triggered) } : undefined,
    title: x.title ?? `abstain: ${cfg.name}`,
  });
  return { summary, table: formatTable(summary) };
}

/** config.json of a run folder: the resolved config (validated again) and what else was recorded. */
export function readRunConfig(runDir: string): { cfg: ExperimentConfig; doc: Record<string, unknown> } {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new CliError(`${runDir}: no config.json here; give a run folder made by abstain run, demo, train or certify`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return { cfg: loadConfig((doc.config ?? {}) as object), doc };
}

/** One line per certifier with the numbers the demo's targets are about. */
export function headline(summary: Summary): string {
  const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`);
  const lines: string[] = [];
  for (const cs of Object.values(summary)) {
    if (!cs) continue;
    const rd = radiusKey(cs.deploymentRadius);
    const base = cs.baseline ? `; unpoisoned baseline ${pct(cs.baseline.certifiedAccuracy[rd])}` : '';
    lines.push(
      `${cs.certifier}: certified accuracy at r_d ${rd}: clean ${pct(cs.clean.certifiedAccuracy[rd])}, triggered ${pct(cs.triggered.certifiedAccuracy[rd])} ` +
        `(attack effect ${cs.attackEffect.toFixed(1)} points: fallback ${pct(cs.triggered.fallbackRate)}, certified wrong ${pct(cs.triggered.certifiedWrongRate)})${base}`,
    );
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
