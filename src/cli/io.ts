// Where the CLI writes, and the errors it turns into exit codes. runCli takes an Io so that tests
// can run commands in-process and read what they printed.

/** Anything with write(string): process.stdout, a PassThrough, a collecting object in a test. */
export interface Sink {
  write(chunk: string): unknown;
}

export interface Io {
  /** Results: tables, paths, YAML, --explain text, help. */
  out: Sink;
  /** Progress, log lines and errors. */
  err: Sink;
}

/** stdout and stderr; a closed pipe (`abstain … | head`) ends the process quietly instead of with a stack trace. */
export function processIo(): Io {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) {
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
    }
  }
  return { out: process.stdout, err: process.stderr };
}

/** Exit codes: 0 ok, 1 failure, 2 bad usage, 130 interrupted (Ctrl-C, state saved). */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** A failure whose message is the whole story (one line, names the input and the fix). */
export class CliError extends Error {
  override name = 'CliError';
}

/** Bad usage the parser cannot see (e.g. a flag value of the wrong shape): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
