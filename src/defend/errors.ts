// A defense that cannot run on this run's model or config: one line naming what is missing and
// the fix (the CLI prints it without a stack trace).
export class DefenseError extends Error {
  override name = 'DefenseError';
}
