// What the CLI needs around a run folder: the evaluated inputs, a run folder's config, a headline.
import { existsSync } from 'node:fs';
import { READ_LIMITS, readInputFile } from '../util/files.js';
import { join } from 'node:path';
import { loadConfig, type ExperimentConfig } from '../config/index.js';
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

/** One line per certifier, the share of triggered inputs sent to the fallback first (src/report/headline.ts). */
export { headline } from '../report/headline.js';
