// A small, fully known run for the report tests: 40 inputs, clean mostly certified, triggered
// mostly abstaining or certified wrong, with tiny synthetic images.
import type { Certificate } from '../../src/certify/certificate.js';
import { summarizeCertifier } from '../../src/pipeline/metrics.js';
import type { ImageData } from '../../src/report/images.js';
import { summaryFile, type SummaryFile } from '../../src/report/summary.js';
import { loadConfig } from '../../src/config/load.js';
import { cert } from './svg.js';

export interface Fixture {
  file: SummaryFile;
  clean: Certificate[];
  triggered: Certificate[];
  baseline: Certificate[];
  images: { clean: ImageData[]; triggered: ImageData[] };
}

export function fixture(): Fixture {
  const n = 40;
  const clean = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? cert(i, i % 10, 'abstain', 0) : cert(i, i % 10, i % 10, 0.2 + (i % 7) * 0.1)));
  const triggered = Array.from({ length: n }, (_, i) =>
    i % 3 === 0 ? cert(i, i % 10, (i + 1) % 10, 0.4) : i % 3 === 1 ? cert(i, i % 10, 'abstain', 0) : cert(i, i % 10, i % 10, 0.05),
  );
  const baseline = Array.from({ length: n }, (_, i) => cert(i, i % 10, i % 10, 0.3 + (i % 5) * 0.1));
  const config = loadConfig({ name: 'fixture', certify: { smoothing: { n: 1000 } } });
  const summary = {
    smoothing: summarizeCertifier({
      certifier: 'smoothing', norm: 'l2', clean, triggered, baseline,
      radii: config.eval.radii, deploymentRadius: 0.25,
      triggerShares: config.fallback.triggerShares, costPerRequest: 2,
    }),
  };
  const file = summaryFile(summary, { config, seed: 0, timings: { poison: 1.5, train: 60.2, certify: 120 } });
  const image = (i: number, trigger: boolean): ImageData => {
    const data = new Float32Array(28 * 28);
    for (let y = 6; y < 22; y++) for (let x = 8 + (i % 4); x < 12 + (i % 4) + (y % 5); x++) data[y * 28 + x] = 1; // a stroke
    if (trigger) for (let y = 24; y < 27; y++) for (let x = 24; x < 27; x++) data[y * 28 + x] = (x + y) % 2; // checkerboard patch
    return { data, shape: [1, 28, 28] };
  };
  return {
    file, clean, triggered, baseline,
    images: { clean: Array.from({ length: 6 }, (_, i) => image(i, false)), triggered: Array.from({ length: 6 }, (_, i) => image(i, true)) },
  };
}
