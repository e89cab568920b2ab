// Atomic file writes: write to a temporary file beside the target, fsync, then rename, so a
// crash or Ctrl-C never leaves a half-written result where a finished one is expected.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array | Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      for (const chunk of Array.isArray(data) ? data : [data]) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    // Name the file the user knows (the target), not the temporary one, in errno messages
    // (a failed write(2), e.g. ENOSPC, carries no path at all).
    const x = e as NodeJS.ErrnoException;
    if (x.code && (x.path === tmp || x.path === undefined)) x.path = path;
    throw e;
  }
}

export const writeJsonAtomic = (path: string, value: unknown): void =>
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
