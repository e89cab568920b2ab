// A config's kinds seen through the catalog: each kind's own options section, and what the
// catalog derives from it (a certifier's deployment radius and curve radii).
import { ATTACKS, CERTIFIERS, DEFENSES, OBJECTIVES, type Family, type KindWithOptions } from '../catalog/index.js';
import type { ExperimentConfig } from './schema.js';

/** The options section of `kind` inside `section` ({} for a kind without options). */
function optionsIn<E extends Record<string, KindWithOptions>>(f: Family<E>, section: object, kind: string): Record<string, unknown> {
  f.get(kind); // an unknown name is one clear line, never a fallthrough
  return ((section as Record<string, unknown>)[kind] as Record<string, unknown> | undefined) ?? {};
}

export const attackKindOptions = (cfg: ExperimentConfig): Record<string, unknown> => optionsIn(ATTACKS, cfg.attack, cfg.attack.kind);
export const objectiveOptions = (cfg: ExperimentConfig, kind: string = cfg.train.objective): Record<string, unknown> => optionsIn(OBJECTIVES, cfg.train, kind);
export const certifierOptions = (cfg: ExperimentConfig, kind: string): Record<string, unknown> => optionsIn(CERTIFIERS, cfg.certify, kind);
export const defenseOptions = (cfg: ExperimentConfig, kind: string): Record<string, unknown> => optionsIn(DEFENSES, cfg.defense, kind);

/** r_d of the system built on a certifier: the catalog says (smoothing: eval.deploymentRadius; bounds: their epsilon). */
export function deploymentRadiusFor(cfg: ExperimentConfig, kind: string): number {
  return CERTIFIERS.get(kind).deploymentRadius(certifierOptions(cfg, kind) as never, cfg.eval);
}

/** The radii of a certifier's certified-accuracy curve. */
export function curveRadiiFor(cfg: ExperimentConfig, kind: string): number[] {
  return CERTIFIERS.get(kind).curveRadii(certifierOptions(cfg, kind) as never, cfg.eval);
}
