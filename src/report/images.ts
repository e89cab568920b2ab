// Example images for the report: a float image in [0, 1] (CHW or HW) to PNG, and a grid of
// clean and triggered examples with the certifier's answer under each, as one SVG with the
// images embedded as PNG data URIs (so the SVG and the HTML report stay self-contained).
import { PNG } from 'pngjs';
import type { CertificateCore } from '../certify/certificate.js';

/** A certificate as the report shows it: the data set index when the runner recorded it. */
type Certificate = CertificateCore & { datasetIndex?: number };
import { esc } from './format.js';
import { PLOT_FONT } from './vega.js';

export interface ImageData {
  /** Pixel values in [0, 1], channel-major (CHW) like the data sets. */
  data: Float32Array;
  /** [C, H, W] with C 1 or 3, or [H, W]. */
  shape: readonly number[];
}

/** PNG bytes of an image, each pixel scaled up `scale` times (nearest neighbour, so pixels stay crisp). */
export function imageToPng(img: ImageData, scale = 1): Buffer {
  const [c, h, w] = img.shape.length === 2 ? [1, img.shape[0], img.shape[1]] : img.shape;
  if ((c !== 1 && c !== 3) || img.shape.length > 3 || img.data.length !== c * h * w) {
    throw new Error(`imageToPng: shape must be [1|3, H, W] or [H, W] matching ${img.data.length} values (got [${img.shape.join(', ')}])`);
  }
  const png = new PNG({ width: w * scale, height: h * scale });
  const byte = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  for (let y = 0; y < h * scale; y++) {
    for (let x = 0; x < w * scale; x++) {
      const src = Math.floor(y / scale) * w + Math.floor(x / scale);
      const o = 4 * (y * w * scale + x);
      for (let k = 0; k < 3; k++) png.data[o + k] = byte(img.data[(c === 3 ? k : 0) * h * w + src]);
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

export const pngDataUri = (png: Buffer): string => `data:image/png;base64,${png.toString('base64')}`;

/** How the system fared on an input: certified correct, certified wrong, or sent to the fallback. */
export type Outcome = 'certified' | 'wrong' | 'fallback';

export function outcomeAt(c: Certificate, deploymentRadius: number): Outcome {
  if (c.prediction === 'abstain' || c.radius < deploymentRadius) return 'fallback';
  return c.prediction === c.label ? 'certified' : 'wrong';
}

/** The certifier's answer in a few characters: "7, r 0.61", "abstain". */
export const answerText = (c: Certificate): string =>
  c.prediction === 'abstain' ? 'abstain' : `${c.prediction}, r ${c.radius.toFixed(2)}`;

export interface Example {
  image: ImageData;
  /** One or two lines (split on \n) under the image. */
  caption: string;
  outcome?: Outcome;
}

const OUTCOME_COLOUR: Record<Outcome, string> = { certified: '#2ca02c', wrong: '#9467bd', fallback: '#d62728' };

export interface GridOptions {
  columns?: number;
  /** Pixels per image pixel. */
  scale?: number;
  /** Row headings, one per row (e.g. "clean", "triggered"). */
  rowTitles?: string[];
}

/** A grid of examples as one SVG; each caption coloured by its outcome (green, purple, red). */
export function exampleGridSvg(examples: readonly Example[], opts: GridOptions = {}): string {
  const columns = Math.max(1, opts.columns ?? Math.min(examples.length, 8));
  const scale = opts.scale ?? 3;
  const first = examples[0]?.image.shape ?? [28, 28];
  const [h, w] = first.slice(-2);
  const cellW = Math.max(w * scale, 90) + 12;
  const cellH = h * scale + 40;
  const left = opts.rowTitles ? 80 : 8;
  const rows = Math.ceil(examples.length / columns);
  const width = left + columns * cellW;
  const height = rows * cellH + 8;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${PLOT_FONT}" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  opts.rowTitles?.forEach((title, r) => {
    if (r < rows) parts.push(`<text x="8" y="${8 + r * cellH + (h * scale) / 2}" font-weight="bold" dominant-baseline="middle">${esc(title)}</text>`);
  });
  examples.forEach((ex, i) => {
    const x = left + (i % columns) * cellW;
    const y = 8 + Math.floor(i / columns) * cellH;
    const imgX = x + (cellW - 12 - w * scale) / 2;
    parts.push(
      `<image x="${imgX}" y="${y}" width="${w * scale}" height="${h * scale}" image-rendering="pixelated" href="${pngDataUri(imageToPng(ex.image, 1))}"/>`,
      `<rect x="${imgX}" y="${y}" width="${w * scale}" height="${h * scale}" fill="none" stroke="#ccc"/>`,
    );
    const colour = ex.outcome ? OUTCOME_COLOUR[ex.outcome] : '#222';
    ex.caption.split('\n').slice(0, 2).forEach((line, k) => {
      parts.push(`<text x="${x + (cellW - 12) / 2}" y="${y + h * scale + 14 + 13 * k}" text-anchor="middle" fill="${colour}">${esc(line)}</text>`);
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * The usual grid of a run: the same inputs clean (first row) and with the trigger (second row),
 * captioned with the label, the certifier's answer and the system's outcome at r_d.
 */
export function cleanTriggeredGrid(
  clean: readonly ImageData[],
  triggered: readonly ImageData[],
  cleanCerts: readonly Certificate[],
  triggeredCerts: readonly Certificate[],
  deploymentRadius: number,
  opts: Omit<GridOptions, 'columns' | 'rowTitles'> = {},
): string {
  const n = Math.min(clean.length, triggered.length, cleanCerts.length, triggeredCerts.length);
  const example = (img: ImageData, c: Certificate): Example => {
    const outcome = outcomeAt(c, deploymentRadius);
    return { image: img, caption: `label ${c.label} → ${answerText(c)}\n${outcome}`, outcome };
  };
  const row = (imgs: readonly ImageData[], certs: readonly Certificate[]) =>
    Array.from({ length: n }, (_, i) => example(imgs[i], certs[i]));
  return exampleGridSvg([...row(clean, cleanCerts), ...row(triggered, triggeredCerts)], { ...opts, columns: n, rowTitles: ['clean', 'triggered'] });
}
