// Renders trigger content (solid, checkerboard, image, noise) to a C×h×w block of values.
import { Generator } from '../../tensor/index.js';
import { uniforms } from '../../data/index.js';
import { PoisonConfigError } from '../errors.js';
import type { Content } from './types.js';

export const CONTENT_KINDS = ['solid', 'checkerboard', 'image', 'noise'] as const;

const inUnit = (v: unknown): v is number => typeof v === 'number' && v >= 0 && v <= 1;

function unitValue(v: unknown, field: string): number {
  if (!inUnit(v)) throw new PoisonConfigError(`trigger: ${field} ${String(v)} is outside [0, 1]; pixel values are in [0, 1]`);
  return v;
}

/** `where` names the field in errors, e.g. "patch content". */
export function renderContent(content: Content | undefined, c: number, h: number, w: number, where: string): Float32Array {
  if (!content || typeof content !== 'object') throw new PoisonConfigError(`trigger: ${where} is missing; give {kind: ${CONTENT_KINDS.join(' | ')}, ...}`);
  const out = new Float32Array(c * h * w);
  switch (content.kind) {
    case 'solid': {
      const values = Array.isArray(content.value) ? content.value : [content.value];
      if (values.length !== 1 && values.length !== c) {
        throw new PoisonConfigError(`trigger: ${where} solid value has ${values.length} entries; give one, or one per channel (${c})`);
      }
      for (let ch = 0; ch < c; ch++) out.fill(unitValue(values.length === 1 ? values[0] : values[ch], `${where} value`), ch * h * w, (ch + 1) * h * w);
      return out;
    }
    case 'checkerboard': {
      const high = unitValue(content.high ?? 1, `${where} checkerboard high`);
      const low = unitValue(content.low ?? 0, `${where} checkerboard low`);
      const cell = content.cell ?? 1;
      if (!Number.isInteger(cell) || cell < 1) throw new PoisonConfigError(`trigger: ${where} checkerboard cell ${cell} must be a positive integer`);
      for (let ch = 0; ch < c; ch++) {
        for (let r = 0; r < h; r++) {
          for (let q = 0; q < w; q++) out[ch * h * w + r * w + q] = (Math.floor(r / cell) + Math.floor(q / cell)) % 2 === 0 ? high : low;
        }
      }
      return out;
    }
    case 'image': {
      const [ic, ih, iw] = content.shape ?? [];
      if (ih !== h || iw !== w || (ic !== 1 && ic !== c)) {
        throw new PoisonConfigError(`trigger: ${where} image has shape [${(content.shape ?? []).join(', ')}]; it must be [${c === 1 ? '1' : `1 or ${c}`}, ${h}, ${w}]`);
      }
      if (!content.pixels || content.pixels.length !== ic * ih * iw) {
        throw new PoisonConfigError(`trigger: ${where} image has ${content.pixels?.length ?? 0} values; its shape [${ic}, ${ih}, ${iw}] needs ${ic * ih * iw}`);
      }
      for (let ch = 0; ch < c; ch++) {
        for (let j = 0; j < h * w; j++) out[ch * h * w + j] = unitValue(content.pixels[(ic === 1 ? 0 : ch) * h * w + j], `${where} image pixel`);
      }
      return out;
    }
    case 'noise': {
      const low = unitValue(content.low ?? 0, `${where} noise low`);
      const high = unitValue(content.high ?? 1, `${where} noise high`);
      if (high < low) throw new PoisonConfigError(`trigger: ${where} noise high ${high} is below low ${low}`);
      const seed = content.seed ?? 0;
      if (!Number.isSafeInteger(seed) || seed < 0) throw new PoisonConfigError(`trigger: ${where} noise seed ${seed} must be a non-negative integer`);
      const u = uniforms(out.length, new Generator(seed));
      for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * u[i];
      return out;
    }
    default:
      throw new PoisonConfigError(`trigger: ${where} kind "${(content as { kind: unknown }).kind}" is unknown; known kinds: ${CONTENT_KINDS.join(', ')}`);
  }
}
