// Errors in a poisoning or trigger configuration. The message is one line that names the field
// and the fix, so the CLI can print `.message` alone.
export class PoisonConfigError extends Error {
  override name = 'PoisonConfigError';
}
