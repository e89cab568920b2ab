// Certificates on disk: one JSON record per line (certs-<set>-<certifier>.jsonl), written
// atomically, and read back with every record checked, so a corrupt or hand-edited file is one
// clear line instead of silently different numbers.
import { writeFileAtomic } from '../util/atomic.js';
import { READ_LIMITS, readInputFile } from '../util/files.js';
import type { Certificate } from './certificate.js';

/** A certificate file that cannot be trusted: one line naming the file, the line and the field. */
export class CertificateFileError extends Error {
  override name = 'CertificateFileError';
}

export function writeCertificatesJsonl(path: string, certs: readonly Certificate[]): void {
  writeFileAtomic(path, certs.map((c) => JSON.stringify(c) + '\n').join(''));
}

export interface ReadOptions {
  /** Classes of the data set: labels and predictions must lie in 0..numClasses-1. */
  numClasses?: number;
}

const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** What is wrong with one record, or undefined when it is a valid certificate. */
export function certificateProblem(c: unknown, o: ReadOptions = {}): string | undefined {
  if (!c || typeof c !== 'object' || Array.isArray(c)) return 'not a JSON object';
  const r = c as Record<string, unknown>;
  const K = o.numClasses;
  const isClass = (v: unknown) => isIndex(v) && (K === undefined || (v as number) < K);
  const classes = K === undefined ? 'a class index' : `a class in 0..${K - 1}`;
  if (!isIndex(r.index)) return `index ${JSON.stringify(r.index)} is not a non-negative integer`;
  if (!isIndex(r.datasetIndex)) return `datasetIndex ${JSON.stringify(r.datasetIndex)} is not a non-negative integer (a file written before abstain recorded it?)`;
  if (!isClass(r.label)) return `label ${JSON.stringify(r.label)} is not ${classes}`;
  if (r.prediction !== 'abstain' && !isClass(r.prediction)) return `prediction ${JSON.stringify(r.prediction)} is not "abstain" or ${classes}`;
  if (typeof r.radius !== 'number' || !Number.isFinite(r.radius) || r.radius < 0) return `radius ${JSON.stringify(r.radius)} is not a finite number >= 0`;
  if (r.prediction === 'abstain' && r.radius !== 0) return `an abstaining record has radius ${r.radius} (must be 0)`;
  if (r.norm !== 'l2' && r.norm !== 'linf') return `norm ${JSON.stringify(r.norm)} is not l2 or linf`;
  if (typeof r.certifier !== 'string' || !r.certifier) return 'certifier is missing';
  const vouched = r.prediction !== 'abstain' && (r.radius as number) > 0;
  if (r.vouched !== vouched) return `vouched is ${JSON.stringify(r.vouched)} but prediction and radius say ${vouched}`;
  if (r.correct !== (r.prediction === r.label)) return `correct is ${JSON.stringify(r.correct)} but prediction and label say ${r.prediction === r.label}`;
  return undefined;
}

/** Reads and checks a certificate file; CertificateFileError on the first bad line. */
export function readCertificatesJsonl(path: string, o: ReadOptions = {}): Certificate[] {
  const text = readInputFile(path, READ_LIMITS.certificates, (why) => new CertificateFileError(`${path}: cannot read the certificates: ${why}; run the certify stage`)).toString('utf8');
  const certs: Certificate[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let c: unknown;
    try {
      c = JSON.parse(line);
    } catch {
      const last = i === lines.length - 1;
      throw new CertificateFileError(`${path}:${i + 1}: not a JSON certificate${last ? ' (the file is truncated)' : ''}; re-run the certify stage (abstain run, or abstain certify)`);
    }
    const problem = certificateProblem(c, o);
    if (problem) throw new CertificateFileError(`${path}:${i + 1}: ${problem}; the file is corrupt or was not written by this abstain — re-run the certify stage`);
    certs.push(c as Certificate);
  });
  return certs;
}
