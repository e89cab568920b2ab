// The patch trigger (BadNets' square stamp): a size×size block at a corner, the centre or a given
// x/y (its top-left pixel, column x and row y), replacing the image's pixels in every channel.
import type { ImageShape } from '../../data/index.js';
import { PoisonConfigError } from '../errors.js';
import { renderContent } from './content.js';
import type { PatchSpec, TriggerParts } from './types.js';

export const POSITIONS = ['top-left', 'top-right', 'bottom-left', 'bottom-right', 'center'] as const;

/** The patch's top-left pixel. */
export function patchOrigin(spec: PatchSpec, [, h, w]: ImageShape): { x: number; y: number } {
  const s = spec.size;
  const pos = spec.position ?? 'bottom-right';
  if (typeof pos === 'object' && pos !== null) {
    const { x, y } = pos;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x + s > w || y + s > h) {
      throw new PoisonConfigError(
        `trigger: patch at x ${x}, y ${y} with size ${s} does not fit the image (${h}x${w}); use integers 0 <= x <= ${w - s}, 0 <= y <= ${h - s}`,
      );
    }
    return { x, y };
  }
  switch (pos) {
    case 'top-left': return { x: 0, y: 0 };
    case 'top-right': return { x: w - s, y: 0 };
    case 'bottom-left': return { x: 0, y: h - s };
    case 'bottom-right': return { x: w - s, y: h - s };
    case 'center': return { x: Math.floor((w - s) / 2), y: Math.floor((h - s) / 2) };
    default:
      throw new PoisonConfigError(`trigger: patch position "${String(pos)}" is unknown; use ${POSITIONS.join(', ')} or {x, y}`);
  }
}

export function buildPatch(spec: PatchSpec, shape: ImageShape): TriggerParts {
  const [c, h, w] = shape;
  const s = spec.size;
  if (!Number.isInteger(s) || s < 1) throw new PoisonConfigError(`trigger: patch size ${s} must be a positive integer`);
  if (s > Math.min(h, w)) throw new PoisonConfigError(`trigger: patch size ${s} exceeds the image (${h}x${w}); use size <= ${Math.min(h, w)}`);
  const { x, y } = patchOrigin(spec, shape);
  const block = renderContent(spec.content ?? { kind: 'checkerboard' }, c, s, s, 'patch content');
  const mask = new Float32Array(c * h * w);
  const pattern = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let r = 0; r < s; r++) {
      for (let q = 0; q < s; q++) {
        const j = ch * h * w + (y + r) * w + (x + q);
        mask[j] = 1;
        pattern[j] = block[ch * s * s + r * s + q];
      }
    }
  }
  return { mask, weight: mask, pattern };
}
