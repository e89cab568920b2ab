// Ctrl-C as a request, not a kill: while long work runs, SIGINT only sets a flag that the work
// checks at safe points (after a training step, between batches of a certification, after a
// stage), where it saves what is finished and stops with an Interrupted error. The request is
// acknowledged at once on stderr. Signals that arrive within a second of the first one are the
// same request (a terminal sends SIGINT to every process of the group, `timeout -s INT` and
// npx forward it too); one that comes later quits at once, without saving the unfinished part.
// The handler stays installed for the whole of the outermost call, so no signal falls between
// two loops unheard; a command line that stopped on Ctrl-C then waits out the rest of the
// request (settleInterrupt), so that a late duplicate signal cannot kill it on its way out.

export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** Signals closer than this to the first one count as the same Ctrl-C. */
export const SAME_REQUEST_MS = 1000;

let requested = false;
let firstAt = 0;
let depth = 0;
/** Where the acknowledgement goes (stderr; tests replace it). */
let tell = (line: string): void => void process.stderr.write(line + '\n');

const onSigint = () => {
  const now = Date.now();
  if (!requested) {
    requested = true;
    firstAt = now;
    tell(
      'abstain: Ctrl-C: stopping at the next safe point (after the current training step or batch of samples) and saving what is finished; ' +
        `press Ctrl-C again (more than ${SAME_REQUEST_MS / 1000} s from now) to quit at once without saving the unfinished part`,
    );
    return;
  }
  if (now - firstAt < SAME_REQUEST_MS) return; // the same request, delivered twice
  tell('abstain: second Ctrl-C: quitting at once; the unfinished part is lost (finished stages and chunks are kept)');
  process.exit(130);
};

/** Runs fn with the SIGINT handler installed (nested calls share one handler and one flag). */
export async function withInterruptHandler<T>(fn: () => Promise<T>): Promise<T> {
  if (depth++ === 0) {
    requested = false;
    process.on('SIGINT', onSigint);
  }
  try {
    return await fn();
  } finally {
    if (--depth === 0) process.off('SIGINT', onSigint);
  }
}

/**
 * Asks the running work to stop at its next safe point, as Ctrl-C does (a queue worker calls it
 * on SIGTERM and when it loses its job's lock). Only inside withInterruptHandler: a request made
 * while nothing runs is cleared when the next work starts.
 */
export function requestInterrupt(): void {
  requested = true;
}

/** True once Ctrl-C was pressed inside withInterruptHandler. */
export const interruptRequested = (): boolean => requested;

/** Throws Interrupted(message) when Ctrl-C was pressed; call where nothing is half-done. */
export function throwIfInterrupted(message: string): void {
  if (requested) throw new Interrupted(message);
}

/**
 * Resolves once the current Ctrl-C request can have no more signals of its own in flight (a
 * second after the first). A command line that stopped on Ctrl-C waits for it before exiting:
 * while the process tears down, a late duplicate signal would otherwise kill it (exit by the
 * signal instead of 130).
 */
export async function settleInterrupt(): Promise<void> {
  const left = requested ? SAME_REQUEST_MS - (Date.now() - firstAt) : 0;
  if (left <= 0) return;
  const same = () => {}; // the rest of the request that already stopped the work
  process.on('SIGINT', same);
  try {
    await new Promise((resolve) => setTimeout(resolve, left));
  } finally {
    process.off('SIGINT', same);
  }
}

/** Lets pending signals be handled (a synchronous loop never sees them otherwise). */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Replaces where the acknowledgement is written (for tests); returns the previous writer. */
export function setInterruptNotice(write: (line: string) => void): (line: string) => void {
  const prev = tell;
  tell = write;
  return prev;
}
