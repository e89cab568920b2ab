// Poisoning: triggers, the attacks (badnets, uncertainty, boundary, orthant) and their records. The
// catalog (src/catalog/attacks.ts) names them and loads each one's `engine`.
export { PoisonConfigError } from './errors.js';
export * from './triggers/index.js';
export { writePoisonJson, type Attack } from './attack.js';
export type { AttackOptions, PoisonMode, PoisonRecord, PoisonResult, PoisonSummary, PoisonSamples, PoisonDetail } from './common.js';
export { badnets, type BadNetsOptions } from './badnets.js';
export { uncertainty, UNCERTAINTY_LABELS, type UncertaintyOptions, type UncertaintyLabels } from './uncertainty.js';
export { boundary, BOUNDARY_DIRECTIONS, twoSidedRoom, type BoundaryOptions, type InputGradient } from './boundary.js';
export { orthant, ORTHANT_COPIES, signDirections, maskBox, type OrthantOptions, type OrthantCopies, type OrthantDetail, type SupportBox } from './orthant.js';
export { addAdaptiveSamples, ADAPTIVE_KINDS, type AdaptiveKind, type AdaptiveOptions } from './adaptive.js';
