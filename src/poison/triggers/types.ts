// The trigger spec (plain JSON, stored with a run so the same trigger is applied at training and
// at test time) and the Trigger it builds.
import type { Tensor } from '../../tensor/index.js';
import type { ImageShape } from '../../data/index.js';

export type Position = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right' | 'center' | { x: number; y: number };

/** What a trigger paints: over a patch, or (for blend) over the whole image. */
export type Content =
  /** One value, or one per channel. */
  | { kind: 'solid'; value: number | number[] }
  /** Alternating cells of `high` (top-left) and `low`; defaults 1, 0 and 1-pixel cells. */
  | { kind: 'checkerboard'; low?: number; high?: number; cell?: number }
  /** A given picture, [C or 1, H, W] values in [0, 1] (one channel is used for every channel). */
  | { kind: 'image'; pixels: ArrayLike<number>; shape: [number, number, number] }
  /** Seeded uniform noise in [low, high) (defaults 0, 1), independent per channel. */
  | { kind: 'noise'; seed?: number; low?: number; high?: number };

/** A square patch stamped over the image. position defaults to bottom-right, content to a checkerboard. */
export interface PatchSpec {
  kind: 'patch';
  size: number;
  position?: Position;
  content?: Content;
}

/** The whole image mixed with a pattern: (1 − alpha)·x + alpha·pattern. */
export interface BlendSpec {
  kind: 'blend';
  alpha: number;
  pattern: Content;
}

export type TriggerSpec = PatchSpec | BlendSpec;

export interface Trigger {
  spec: TriggerSpec;
  /** The image shape the trigger was built for. */
  shape: ImageShape;
  /** 1 where the trigger touches a pixel, 0 elsewhere; [C, H, W]. */
  mask: Float32Array;
  /** Per-pixel weight of the pattern (1 inside a patch, alpha for blend); [C, H, W]. */
  weight: Float32Array;
  /** What is mixed in, [C, H, W]. */
  pattern: Float32Array;
  /** Triggered copies of N images (N×C×H×W), clipped to [0, 1]. */
  apply(images: Float32Array, shape: ImageShape): Float32Array;
  /** The same on a [B, C, H, W] float tensor (a new tensor). */
  applyTensor(x: Tensor): Tensor;
}

/** What a trigger kind builds: the pattern and its per-pixel weight. */
export interface TriggerParts {
  mask: Float32Array;
  weight: Float32Array;
  pattern: Float32Array;
}
