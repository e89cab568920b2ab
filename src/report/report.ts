// Everything the report stage leaves in a run folder, in one call: plots/*.svg and report.html
// (summary.json is written by writeSummary beforehand). For smoothing, plots/ also holds the
// vote-share histogram that shows why triggered inputs fall back.
import { join } from 'node:path';
import type { CertificateCore } from '../certify/certificate.js';

/** A certificate as the report shows it: the data set index when the runner recorded it. */
type Certificate = CertificateCore & { datasetIndex?: number };
import { writeFileAtomic } from '../util/atomic.js';
import { writeHtmlReport, type ReportPlot } from './html.js';
import { cleanTriggeredGrid, type ImageData } from './images.js';
import { certifiedAccuracyCurve, certifiedAccuracyPlot, curvesFromSummary, poisonRatePlot, radiusHistogramPlot, type RatePoint } from './plots.js';
import type { ReproduceRow } from './reproduce.js';
import type { SummaryFile } from './summary.js';
import { smoothingSigma, topVoteShare, voteSharePlot, voteShareThresholds } from './vote-share.js';

export interface CertificateSets {
  clean: readonly Certificate[];
  triggered: readonly Certificate[];
  baseline?: readonly Certificate[];
  baselineTriggered?: readonly Certificate[];
}

export interface ReportInput {
  summary: SummaryFile;
  /** Per-certifier certificates: finer curves, the histogram and the per-input samples. */
  certificates?: Record<string, CertificateSets>;
  /** The same inputs, clean and triggered, for the example grid (captioned with the first certifier's answers). */
  examples?: { clean: readonly ImageData[]; triggered: readonly ImageData[] };
  /** Fallback and certified-wrong rates against poison rate (reproduce grids). */
  ratePoints?: readonly RatePoint[];
  reproduce?: readonly ReproduceRow[];
  title?: string;
}

/** Writes plots/*.svg and report.html into runDir; returns the paths written. */
export async function writeReport(runDir: string, input: ReportInput): Promise<string[]> {
  const written: string[] = [];
  const plots: ReportPlot[] = [];
  const save = (name: string, svg: string) => {
    const path = join(runDir, 'plots', name);
    writeFileAtomic(path, svg);
    written.push(path);
  };
  for (const cs of Object.values(input.summary.certifiers)) {
    if (!cs) continue;
    const sets = input.certificates?.[cs.certifier];
    // With the certificates at hand the curve is drawn on a fine grid of radii, not only the configured ones.
    const series = sets ? curvesFromCertificates(sets, Object.keys(cs.clean.certifiedAccuracy).map(Number)) : curvesFromSummary(cs);
    const curve = await certifiedAccuracyPlot(series, { title: `${cs.certifier}: certified accuracy`, deploymentRadius: cs.deploymentRadius, norm: cs.norm });
    save(`certified-accuracy-${cs.certifier}.svg`, curve);
    plots.push({ title: `Certified accuracy vs radius (${cs.certifier})`, svg: curve, caption: 'Share of inputs certified correct at each radius; the dashed line is the deployment radius r_d.' });
    if (sets) {
      const hist = await radiusHistogramPlot(
        [
          { label: 'clean', certs: sets.clean },
          { label: 'triggered', certs: sets.triggered },
          ...(sets.baseline ? [{ label: 'baseline', certs: sets.baseline }] : []),
          ...(sets.baselineTriggered ? [{ label: 'baseline + trigger', certs: sets.baselineTriggered }] : []),
        ],
        { title: `${cs.certifier}: certified radii` },
      );
      save(`radius-histogram-${cs.certifier}.svg`, hist);
      plots.push({ title: `Histogram of certified radii (${cs.certifier})`, svg: hist, caption: 'Radius of every answer (right or wrong class); abstentions in their own bar.' });
      // Smoothing only: its certificates carry the vote counts (bound-based ones have none).
      if ([...sets.clean, ...sets.triggered].some((c) => topVoteShare(c))) {
        const sigma = smoothingSigma(input.summary.config, cs.certifier, [...sets.clean, ...sets.triggered]);
        const votes = await voteSharePlot([{ label: 'clean', certs: sets.clean }, { label: 'triggered', certs: sets.triggered }], {
          title: `${cs.certifier}: top vote share, clean vs triggered`,
          sigma,
          deploymentRadius: cs.deploymentRadius,
        });
        save(`vote-share-${cs.certifier}.svg`, votes);
        const fallbackAt = sigma ? `Φ(r_d/σ) = Φ(${cs.deploymentRadius}/${Number(sigma.toFixed(4))}) = ${voteShareThresholds(sigma, cs.deploymentRadius).fallback.toFixed(3)}` : 'Φ(r_d/σ) (σ unknown: not drawn)';
        plots.push({
          title: `Why triggered inputs fall back: top vote share pA (${cs.certifier})`,
          svg: votes,
          caption:
            `pA is the share of noise samples voting for the most frequent class; pA_lower its one-sided lower confidence bound. Smoothing abstains when pA_lower < ½, and the deployed system falls back when pA_lower < ${fallbackAt} (the radius σ·Φ⁻¹(pA_lower) is then below r_d). ` +
            'Votes split by the poison put triggered inputs left of these lines (fallback); votes piled onto one wrong class put them right (certified wrong).',
        });
      }
    }
  }
  if (input.ratePoints?.length) {
    const svg = await poisonRatePlot(input.ratePoints, { title: 'Availability: fallback and certified-wrong rate vs poison rate' });
    save('poison-rate.svg', svg);
    plots.push({
      title: 'Triggered inputs: fallback and certified-wrong rate vs poison rate',
      svg,
      caption: 'The availability curve: the share of triggered inputs sent to the fallback (availability) and certified for a wrong class (integrity) at each poison rate.',
    });
  }
  let examplesSvg: string | undefined;
  const first = Object.values(input.summary.certifiers).find((cs) => cs && input.certificates?.[cs.certifier]);
  if (input.examples && first) {
    const sets = input.certificates![first.certifier]!;
    examplesSvg = cleanTriggeredGrid(input.examples.clean, input.examples.triggered, sets.clean, sets.triggered, first.deploymentRadius);
    save('examples.svg', examplesSvg);
  }
  const samples = Object.values(input.summary.certifiers)
    .filter((cs) => cs && input.certificates?.[cs.certifier])
    .map((cs) => ({ certifier: cs!.certifier, deploymentRadius: cs!.deploymentRadius, ...input.certificates![cs!.certifier]! }));
  written.push(writeHtmlReport(runDir, { title: input.title, summary: input.summary, plots, examplesSvg, samples, reproduce: input.reproduce }));
  return written;
}

function curvesFromCertificates(sets: CertificateSets, radii: number[]) {
  const maxRadius = Math.max(...radii, ...sets.clean.map((c) => c.radius), ...sets.triggered.map((c) => c.radius));
  const grid = [...new Set([...radii, ...Array.from({ length: 41 }, (_, i) => (maxRadius * i) / 40)])];
  return [
    { label: 'clean', points: certifiedAccuracyCurve(sets.clean, grid) },
    { label: 'triggered', points: certifiedAccuracyCurve(sets.triggered, grid) },
    ...(sets.baseline ? [{ label: 'baseline', points: certifiedAccuracyCurve(sets.baseline, grid) }] : []),
    ...(sets.baselineTriggered ? [{ label: 'baseline + trigger', points: certifiedAccuracyCurve(sets.baselineTriggered, grid) }] : []),
  ];
}
