// The report stage: metrics per certifier, summary.json, plots and report.html from the
// certificates of a run. runExperiment ends with it; `abstain certify` (a user's own model) and
// `abstain report` (a rebuild from certs-*.jsonl) call it directly, so all three agree.
import { deploymentRadiusFor, type CertifierName, type ExperimentConfig } from '../config/index.js';
import type { Dataset } from '../data/index.js';
import { summarizeCertifier, type Summary } from './metrics.js';
import { formatTable, writeReport, writeSummary } from '../report/index.js';
import { torchVersions } from '../tensor/index.js';
import type { Certificate } from '../certify/certificate.js';
import { radiiFor } from './stages.js';

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
  const file = writeSummary(runDir, summary, { config: cfg, seed: cfg.seed, versions: torchVersions(), timings: x.timings });
  const pick = (ds: Dataset) => Array.from({ length: Math.min(8, ds.length) }, (_, i) => ({ data: ds.image(i), shape: ds.shape }));
  await writeReport(runDir, {
    summary: file,
    certificates: Object.fromEntries(kinds.map((k) => [k, { clean: certs[k]!.clean, triggered: certs[k]!.trigger, baseline: certs[k]!.baseline }])),
    examples: x.data ? { clean: pick(x.data.clean), triggered: pick(x.data.triggered) } : undefined,
    title: x.title ?? `abstain: ${cfg.name}`,
  });
  return { summary, table: formatTable(summary) };
}
