// What the CLI needs around a run folder: the evaluated inputs, a run folder's config, a headline.
import { existsSync } from 'node:fs';
import { READ_LIMITS, readInputFile } from '../util/files.js';
import { join } from 'node:path';
import { loadConfig, type ExperimentConfig } from '../config/index.js';
import { radiusKey, type Summary } from '../pipeline/index.js';
import { evalInputs } from '../experiment/index.js';
import { CliError } from './io.js';

/** The evaluated test inputs of a config, clean and triggered (the same ones a run certifies). */
export const evalData = evalInputs;

/** config.json of a run folder: the resolved config (validated again) and what else was recorded. */
export function readRunConfig(runDir: string): { cfg: ExperimentConfig; doc: Record<string, unknown> } {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) throw new CliError(`${runDir}: no config.json here; give a run folder made by abstain run, demo, train or certify`);
  const text = readInputFile(path, READ_LIMITS.config, (why) => new CliError(`${path}: ${why}`)).toString('utf8');
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return { cfg: loadConfig((doc.config ?? {}) as object), doc };
}

/** One line per certifier: the share of triggered inputs sent to the fallback first, then what else happened to them. */
export function headline(summary: Summary): string {
  const pct = (v: number | undefined) => (v === undefined ? 'n/a' : `${(100 * v).toFixed(1)}%`);
  const lines: string[] = [];
  for (const cs of Object.values(summary)) {
    const rd = radiusKey(cs.deploymentRadius);
    const base = cs.baseline ? `; unpoisoned baseline ${pct(cs.baseline.certifiedAccuracy[rd])}` : '';
    lines.push(
      `${cs.certifier}: certified accuracy at r_d ${rd}: clean ${pct(cs.clean.certifiedAccuracy[rd])}, triggered ${pct(cs.triggered.certifiedAccuracy[rd])} ` +
        `(attack effect ${cs.attackEffect.toFixed(1)} points: fallback ${pct(cs.triggered.fallbackRate)}, certified wrong ${pct(cs.triggered.certifiedWrongRate)})${base}`,
    );
    if (cs.defended && cs.defendedTriggered) {
      lines.push(
        `${cs.certifier}, defended: clean ${pct(cs.defended.certifiedAccuracy[rd])}, triggered ${pct(cs.defendedTriggered.certifiedAccuracy[rd])} ` +
          `(fallback ${pct(cs.defendedTriggered.fallbackRate)}, certified wrong ${pct(cs.defendedTriggered.certifiedWrongRate)}; refused inputs count as fallback)`,
      );
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
