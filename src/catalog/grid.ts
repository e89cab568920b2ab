// What a kind contributes to `abstain reproduce`: a column (or row) of the grid, as config
// overrides, with sizes that differ by scale (certified training costs far more per sample).

/** Dotted config paths and their values, as loadConfig's overrides. */
export type Overrides = Record<string, unknown>;

export type ScaleName = 'smoke' | 'small' | 'full';

export interface GridSetting {
  /** Folder-name part: smoothing-0.25, ibp-0.1. */
  id: string;
  /** The results table's column text. */
  label: string;
  /** The config fields that make this setting (victim training included). */
  overrides: Overrides;
  /** Per-scale sizes for this setting (applied after the scale's own, before the user's flags). */
  sizes?: Partial<Record<ScaleName, Overrides>>;
}
