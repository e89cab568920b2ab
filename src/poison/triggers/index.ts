// Triggers: build one from its spec (the same spec at training and at test time) and apply it.
// Every kind reduces to a pattern p and a per-pixel weight w: trigger(x) = clip((1 − w)·x + w·p).
import { tensor, tidy, type Tensor } from '../../tensor/index.js';
import { Dataset, type ImageShape } from '../../data/index.js';
import { PoisonConfigError } from '../errors.js';
import { buildBlend } from './blend.js';
import { buildPatch } from './patch.js';
import type { Trigger, TriggerParts, TriggerSpec } from './types.js';

export type { Trigger, TriggerSpec, PatchSpec, BlendSpec, Content, Position, TriggerParts } from './types.js';
export { POSITIONS, patchOrigin } from './patch.js';
export { CONTENT_KINDS } from './content.js';

/** One builder per trigger kind; a new kind is one new file plus one line here. */
const BUILDERS: Record<string, (spec: never, shape: ImageShape) => TriggerParts> = {
  patch: buildPatch,
  blend: buildBlend,
};
export const TRIGGER_KINDS = Object.keys(BUILDERS);

export function makeTrigger(spec: TriggerSpec, shape: ImageShape): Trigger {
  if (!spec || typeof spec !== 'object') throw new PoisonConfigError(`trigger: missing; give {kind: ${TRIGGER_KINDS.join(' | ')}, ...}`);
  const build = BUILDERS[spec.kind];
  if (!build) throw new PoisonConfigError(`trigger: kind "${String(spec.kind)}" is unknown; known kinds: ${TRIGGER_KINDS.join(', ')}`);
  const { mask, weight, pattern } = build(spec as never, shape);
  const d = shape[0] * shape[1] * shape[2];
  const apply = (images: Float32Array, s: ImageShape): Float32Array => {
    if (s.join() !== shape.join()) {
      throw new PoisonConfigError(`trigger: built for images [${shape.join(', ')}] but applied to [${s.join(', ')}]; build it for that shape`);
    }
    if (images.length % d !== 0) throw new PoisonConfigError(`trigger: ${images.length} values are not a whole number of [${shape.join(', ')}] images`);
    const out = new Float32Array(images.length);
    for (let i = 0; i < images.length; i++) {
      const j = i % d;
      const v = (1 - weight[j]) * images[i] + weight[j] * pattern[j];
      out[i] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
    return out;
  };
  const applyTensor = (x: Tensor): Tensor =>
    tidy(() => {
      const s = x.shape.slice(1);
      if (s.join() !== shape.join()) throw new PoisonConfigError(`trigger: built for images [${shape.join(', ')}] but applied to a batch of [${s.join(', ')}]`);
      const keepW = tensor(Float32Array.from(weight, (v) => 1 - v), shape);
      const add = tensor(Float32Array.from(weight, (v, j) => v * pattern[j]), shape);
      return x.mul(keepW).add(add).clamp(0, 1);
    });
  return { spec, shape: [...shape] as ImageShape, mask, weight, pattern, apply, applyTensor };
}

/** The data set with the trigger on every image (labels unchanged). */
export function applyTrigger(ds: Dataset, trigger: Trigger): Dataset {
  return ds.with({ name: `${ds.name}+trigger`, images: trigger.apply(ds.images, ds.shape) });
}
