// summary.json: the metrics file a run leaves, written atomically so an interrupted run never
// leaves half a file where a finished one is expected. (Certificates: src/certify/records.ts.)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Summary } from '../pipeline/metrics.js';
import type { DefensesSummary } from '../pipeline/defenses.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';

export interface SummaryMeta {
  /** The resolved config (after defaults). */
  config: unknown;
  seed: number;
  /** Versions of abstain, Node and anything else that shapes the numbers (libtorch, ...). */
  versions?: Record<string, string>;
  /** Wall-clock seconds per stage. */
  timings?: Record<string, number>;
  /** What the defenses found and cost, when the run has any. */
  defenses?: DefensesSummary;
}

/** The content of summary.json. */
export interface SummaryFile {
  createdAt: string;
  seed: number;
  versions: Record<string, string>;
  timings: Record<string, number>;
  config: unknown;
  /** Metrics per certifier (see CertifierSummary). */
  certifiers: Summary;
  /** Per defense: where it acted, what it found, its time; and the clean accuracy defending cost (only with defenses). */
  defenses?: DefensesSummary;
}

/** abstain's own version and Node's, merged under any the caller passes. */
export function defaultVersions(extra: Record<string, string> = {}): Record<string, string> {
  return { abstain: packageVersion(), node: process.version, ...extra };
}

function packageVersion(): string {
  // Works from src/ (tsx) and dist/src/ alike: walk up to abstain's package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (!existsSync(p)) continue;
    const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'abstain') return pkg.version ?? 'unknown';
  }
  return 'unknown';
}

export function summaryFile(summary: Summary, meta: SummaryMeta): SummaryFile {
  return {
    createdAt: new Date().toISOString(),
    seed: meta.seed,
    versions: defaultVersions(meta.versions),
    timings: meta.timings ?? {},
    config: meta.config,
    certifiers: summary,
    ...(meta.defenses ? { defenses: meta.defenses } : {}),
  };
}

/** Writes runDir/summary.json; returns what it wrote. */
export function writeSummary(runDir: string, summary: Summary, meta: SummaryMeta): SummaryFile {
  const file = summaryFile(summary, meta);
  writeJsonAtomic(join(runDir, 'summary.json'), file);
  return file;
}

export function readSummary(runDir: string): SummaryFile {
  const path = join(runDir, 'summary.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SummaryFile;
  } catch (e) {
    throw new Error(`${path}: cannot read the summary (${(e as Error).message}); run the report stage first`);
  }
}
