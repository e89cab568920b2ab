// Errors about data sets: bad files, missing sources, bad options. The message is one line that
// names the file or field and the fix, so the CLI can print `.message` alone.
export class DataError extends Error {
  override name = 'DataError';
}
