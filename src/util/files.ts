// Reading the files a user names (a config, weights, data, certificates) with two guards: only
// regular files (a device like /dev/zero, a FIFO or a folder would be read without end or fail
// deep inside), and at most a stated number of bytes (a wrong file must not exhaust memory).
import { readFileSync, statSync, type Stats } from 'node:fs';

/** Size limits of what abstain reads, by kind of file. */
export const READ_LIMITS = {
  /** A YAML or JSON config file. */
  config: 1 << 20,
  /** Model weights (safetensors); Node's Buffer cannot hold more than 2 GiB - 1 anyway. */
  weights: 2 ** 31 - 1,
  /** One data file (IDX, CIFAR-10 batch), before decompression. */
  data: 2 ** 31 - 1,
  /** A certificate file (JSONL; a few hundred bytes per record). */
  certificates: 1 << 30,
} as const;

const KIND = (s: Stats): string =>
  s.isDirectory() ? 'a folder'
  : s.isCharacterDevice() ? 'a character device'
  : s.isBlockDevice() ? 'a block device'
  : s.isFIFO() ? 'a pipe (FIFO)'
  : s.isSocket() ? 'a socket'
  : 'not a regular file';

const human = (bytes: number): string =>
  bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;

/**
 * Why `path` cannot be read as an input of at most maxBytes, or undefined when it can:
 * missing, not a regular file (what it is instead), or too large.
 */
export function unreadableReason(path: string, maxBytes: number): string | undefined {
  let s: Stats;
  try {
    s = statSync(path); // follows links: a link to a regular file is fine
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read it (${code ?? (e as Error).message})`;
  }
  if (!s.isFile()) return `${KIND(s)}, not a regular file`;
  if (s.size > maxBytes) return `${human(s.size)}, more than the ${human(maxBytes)} abstain reads from such a file`;
  return undefined;
}

/**
 * The bytes of a regular file of at most maxBytes; otherwise throws `fail(reason)`, so each
 * caller reports it with its own error class (ConfigError, SafetensorsError, DataError, ...).
 */
export function readInputFile(path: string, maxBytes: number, fail: (reason: string) => Error): Buffer {
  const why = unreadableReason(path, maxBytes);
  if (why) throw fail(why);
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw fail(code === 'EACCES' ? 'permission denied' : `cannot read it (${code ?? (e as Error).message})`);
  }
}
