// The deployed system (certifier + fallback) and its metrics: what a run's certificates mean for
// availability (fallback) and integrity (certified wrong). The runner that produces them is
// src/experiment/.
export * from './metrics.js';
export * from './system.js';
export * from './defenses.js';
