// Ctrl-C as a request, not a kill: while long work runs, SIGINT only sets a flag that the work
// checks at safe points (after a training step, a certified chunk, a stage), where it saves its
// state and stops with an Interrupted error. A second Ctrl-C leaves at once. The handler stays
// installed for the whole of the outermost call, so no signal falls between two loops unheard.

export class Interrupted extends Error {
  override name = 'Interrupted';
}

let requested = false;
let depth = 0;
const onSigint = () => {
  if (requested) process.exit(130);
  requested = true;
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
