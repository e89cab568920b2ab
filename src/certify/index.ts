// Certifiers: randomized smoothing, IBP, CROWN, DeepPoly and the tightest of the bound-based ones,
// all returning Certificate[].
export * from './certificate.js';
export * from './stats.js';
export * from './smoothing.js';
export * from './spec.js';
export * from './ibp.js';
export * from './crown.js';
export * from './deeppoly.js';
export * from './tightest.js';
export * as bounds from './bounds/index.js';
export type { LowerSlope } from './bounds/index.js';
export * from './certify.js';
