// Running the CLI in-process (runCli with a capturing Io) and as a real process (bin/abstain.js).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function cli(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

/** The repository root (dist/test/cli/ → three levels up). */
export const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');

export function spawnCli(...argv: string[]): CliResult {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'abstain.js'), ...argv], { encoding: 'utf8', cwd: root, env: { ...process.env, ABSTAIN_DEBUG: '' } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

export const tmp = (prefix = 'abstain-cli-') => mkdtempSync(join(tmpdir(), prefix));

/** Flags of a tiny synthetic experiment: seconds end to end. */
export const TINY = [
  '--dataset', 'synthetic', '--train-limit', '600', '--set', 'data.testLimit=100', '--arch', 'mlp',
  '--epochs', '1', '--batch-size', '64', '--test-inputs', '10', '--n0', '20', '--n', '100', '--set', 'certify.smoothing.batchSize=500',
  '--rate', '0.05', '--no-progress',
];
