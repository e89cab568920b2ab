// Number formatting shared by the table, the HTML report and the reproduce table.

/** A share as a percentage: 0.165 -> "16.5%". */
export const pct = (share: number | null | undefined, digits = 1): string =>
  share === null || share === undefined || Number.isNaN(share) ? '–' : `${(100 * share).toFixed(digits)}%`;

/** Percentage points with a sign: 81.5 -> "+81.5 pt". */
export const pts = (points: number, digits = 1): string => `${points > 0 ? '+' : ''}${points.toFixed(digits)} pt`;

export const fixed = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);

/** Escapes text for HTML and SVG. */
export const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
