// The blend trigger (Chen et al. 2017's blended injection): the whole image mixed with a
// pattern, (1 − alpha)·x + alpha·pattern; every pixel is touched.
import type { ImageShape } from '../../data/index.js';
import { PoisonConfigError } from '../errors.js';
import { renderContent } from './content.js';
import type { BlendSpec, TriggerParts } from './types.js';

export function buildBlend(spec: BlendSpec, shape: ImageShape): TriggerParts {
  const [c, h, w] = shape;
  const a = spec.alpha;
  if (typeof a !== 'number' || !(a > 0 && a <= 1)) throw new PoisonConfigError(`trigger: blend alpha ${String(a)} is outside (0, 1]`);
  const pattern = renderContent(spec.pattern, c, h, w, 'blend pattern');
  return { mask: new Float32Array(c * h * w).fill(1), weight: new Float32Array(c * h * w).fill(a), pattern };
}
