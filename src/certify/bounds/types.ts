// The one interface every bound operator implements (after auto_LiRPA's operators/*.py): an
// interval pass (IBP, Gowal et al. 2018) and, where the layer supports it, a backward pass of
// linear coefficients (CROWN, Zhang et al. 2018). Layers that are made of others (BasicBlock)
// instead describe themselves as a small graph of those (CompositeBoundModule). A network is a
// graph of nodes (graph.ts), each bound by the operator that the registry (registry.ts) finds
// for its layer's class.
import type { Tensor } from '../../tensor/index.js';
import type { Module } from '../../nn/index.js';
import type { GraphBuilder } from './graph.js';

/**
 * The lower line of the ReLU relaxation on an unstable neuron (l < 0 < u):
 * - 'adaptive': slope 1 if u >= -l else 0 (CROWN's choice, the smaller-area line);
 * - 'deeppoly': slope 1 if u > -l else 0 (DeepPoly's, Singh et al. 2019; the same up to ties);
 * - 'zero' / 'one': slope 0 or 1 for every unstable neuron;
 * - 'same-slope': u / (u - l), parallel to the upper line (Fast-Lin).
 */
export type LowerSlope = 'adaptive' | 'deeppoly' | 'zero' | 'one' | 'same-slope';

/** Elementwise bounds [lower, upper] of a value, each [B, ...]. */
export type Box = [Tensor, Tensor];

export interface BackwardContext {
  /** The per-input shape of this layer's input (without the batch dimension). */
  inputShape: readonly number[];
  /** Lower and upper bounds of this layer's input [B, ...] (given to non-affine layers only). */
  lower?: Tensor;
  upper?: Tensor;
  lowerSlope: LowerSlope;
}

export interface BackwardResult {
  /** Coefficients on this layer's input: [Ba, S, ...inputShape]. */
  A: Tensor;
  /** The constant term this layer adds, [Ba, S], or null for none. */
  bias: Tensor | null;
}

export interface BoundModule<L extends Module = Module> {
  /** The layer kind, as named in messages (e.g. "BatchNorm2d (eval)"). */
  readonly kind: string;
  /** True when the layer is an affine map (its backward pass needs no input bounds). */
  readonly affine: boolean;
  /**
   * IBP: elementwise bounds [lo', hi'] of the layer's output over the box [lo, hi] of its input
   * (both [B, ...]). Sound: every input in the box maps inside the returned box.
   */
  interval(layer: L, lo: Tensor, hi: Tensor): Box;
  /**
   * CROWN: given coefficients A [Ba, S, ...outputShape] of a linear lower bound A·y + c on some
   * function of this layer's output y (Ba is 1 when shared by every input, else B), returns
   * coefficients A' on the layer's input x and the constant d it adds, such that
   * A·y >= A'·x + d for every x within the input bounds. Exact (equality) for affine layers;
   * non-affine layers use their linear relaxation. Absent: the layer kind has no CROWN bound.
   */
  backward?(layer: L, A: Tensor, ctx: BackwardContext): BackwardResult;
  /**
   * Non-affine layers: a mask [B, ...] of the input neurons whose relaxation is not exact on
   * [lower, upper] (only their bounds are worth tightening). Absent: every neuron.
   */
  unstable?(lower: Tensor, upper: Tensor): Tensor;
}

/** A layer made of others: it adds its parts to the graph instead of being one node. */
export interface CompositeBoundModule<L extends Module = Module> {
  readonly kind: string;
  /** Adds the layer applied to node `input` to the graph; returns the node of its output. */
  expand(layer: L, g: GraphBuilder, input: number): number;
}

/** Sum over every dimension after the first two: [Ba, S, ...] -> [Ba, S]. */
export function sumTail(t: Tensor): Tensor {
  return t.rank === 2 ? t : t.reshape([t.shape[0], t.shape[1], -1]).sum(2);
}

/** Merges the two leading dims [Ba, S, ...] -> [Ba * S, ...]. */
export function mergeLeading(A: Tensor): Tensor {
  return A.reshape([A.shape[0] * A.shape[1], ...A.shape.slice(2)]);
}
