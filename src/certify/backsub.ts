// Back-substitution over the bound graph: the engine shared by CROWN (Zhang et al. 2018) and
// DeepPoly (Singh et al. 2019), and by IBP to fold the affine tail into the specification.
//
// A linear lower bound A·y + c on a node's output is pushed backwards node by node in reverse
// topological order: exactly through affine nodes, through a non-affine node by its linear
// relaxation on its input bounds (bounds/*.ts). A node that several nodes consume (a residual
// block's input) collects the sum of their coefficients before it is pushed back itself. At every
// point the bound reads Σ_j A_j·y_j + c over the pending nodes j (the frontier), for every input
// in the region; concretising it over boxes that hold the y_j is therefore a valid lower bound.
// CROWN concretises only at the input; DeepPoly also at each frontier of bounded nodes on the way,
// keeping the largest.
//
// Intermediate bounds: every affine node whose output a relaxation reads gets bounds by
// back-substitution from that node (or from IBP for CROWN-IBP), in topological order, so each
// pass uses the tightened bounds of the nodes before it; the box of every other node is IBP
// from its inputs' boxes.
import { cat, oneHot, tensor, tidy, type Tensor } from '../tensor/index.js';
import { consumersOf, type BoundNetwork, type Box, type LowerSlope } from './bounds/index.js';
import { concretizeLower, forwardShapes, inputBox, type BoxOptions } from './spec.js';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * The relative margin by which back-substituted intermediate bounds are widened. Their float32
 * rounding (about 1e-7 of the magnitudes summed) would otherwise let a box miss the value it
 * bounds, and the nodes after it inherit the box; in a deep network the miss grows with depth
 * (measured on an untrained ResNet-20: 1e-7 at a block's output became 1e-3 ten blocks on).
 * Widened boxes contain the value, and IBP's |W| carries the margin along.
 */
const ROUNDING_SLACK = 1e-6;

export interface BacksubOptions {
  lowerSlope: LowerSlope;
  /** Stop before pushing back through a node for which this holds, and concretise there. */
  stopAt?: (node: number) => boolean;
  /**
   * DeepPoly: the nodes whose boxes are worth concretising at (tight[j]); every frontier made of
   * such nodes is concretised and the largest bound kept. Absent: only the final frontier.
   */
  tight?: readonly boolean[];
  /** Concretise with this relative rounding margin (concretizeLower's slack; default 0). */
  slack?: number;
}

/**
 * Lower bounds [B, S] of A0·y_from (A0 [Ba, S, ...shape of node `from`]) over the region: pushed
 * back to the input (or to the frontier where stopAt holds) and concretised over the boxes of
 * the frontier's nodes. boxes[j] must hold for every non-affine node's inputs and the frontier.
 */
export function backsubstitute(net: BoundNetwork, shapes: number[][], boxes: ReadonlyArray<Box | undefined>, from: number, A0: Tensor, o: BacksubOptions): Tensor {
  const pending = new Map<number, Tensor>([[from, A0]]);
  let bias: Tensor | null = null;
  let best: Tensor | null = null;
  let bestIsFinal = false; // best already includes the current frontier's bound
  const held = (t: Tensor) => t === A0 || t === bias || t === best || [...pending.values()].includes(t);
  const release = (...ts: Array<Tensor | null | undefined>) => {
    for (const t of new Set(ts)) if (t && !held(t)) t.dispose();
  };
  const keepLargest = (v: Tensor) => {
    const old = best;
    best = old ? tidy(() => old.maximum(v)) : v;
    release(old, v);
  };
  const frontierBound = (): Tensor =>
    tidy(() => {
      let sum: Tensor | null = bias && o.slack ? bias.sub(bias.abs().mul(o.slack)) : bias;
      for (const [j, A] of pending) {
        const box = boxes[j];
        if (!box) throw new Error(`bounds: no bounds for node ${j} (${net.nodes[j].kind}) to concretise at`);
        const v = concretizeLower(A, null, box[0], box[1], o.slack);
        sum = sum ? sum.add(v) : v;
      }
      return sum!;
    });

  for (let j = from; j >= 1; j--) {
    const A = pending.get(j);
    if (!A) continue;
    if (o.stopAt?.(j)) break;
    const node = net.nodes[j];
    if (!node.backward) throw new Error(`bounds: node ${j} (${node.kind}) has no backward pass`);
    const before = node.inputs.map((i) => pending.get(i));
    const oldBias = bias;
    const step = tidy(() => {
      const r = node.backward!(A, {
        inputShapes: node.inputs.map((i) => shapes[i]),
        inputBoxes: node.affine ? undefined : node.inputs.map((i) => boxes[i]!),
        lowerSlope: o.lowerSlope,
      });
      const sums = new Map<number, Tensor>();
      node.inputs.forEach((i, t) => {
        const prev = sums.get(i) ?? pending.get(i);
        sums.set(i, prev ? prev.add(r.A[t]) : r.A[t]);
      });
      return { sums, bias: r.bias ? (bias ? bias.add(r.bias) : r.bias) : bias };
    });
    pending.delete(j);
    for (const [i, t] of step.sums) pending.set(i, t);
    bias = step.bias;
    // free what no longer takes part (peak memory: the frontier and one step, not the whole pass)
    release(A, ...before, oldBias);
    bestIsFinal = false;
    if (o.tight && [...pending.keys()].every((i) => o.tight![i])) {
      keepLargest(frontierBound());
      bestIsFinal = true;
    }
  }
  if (!bestIsFinal) keepLargest(frontierBound());
  const result = best!;
  best = null;
  const rest = [...pending.values(), bias];
  pending.clear();
  bias = null;
  release(...rest);
  return result;
}

export interface LinearBoundOptions extends BoxOptions {
  /** Where the intermediate bounds come from: back-substitution, or IBP (CROWN-IBP). */
  intermediate: 'backsub' | 'ibp';
  lowerSlope: LowerSlope;
  /** Elements of the largest coefficient tensor in an intermediate-bound pass (rows are chunked to fit). */
  maxElements: number;
  /**
   * DeepPoly: concretise at every frontier of bounded nodes too, not only at the input: for no
   * bound ('none', CROWN), the final one only, or the intermediate ones as well ('all').
   */
  multiDepth: 'none' | 'final' | 'all';
  /** The neurons that get back-substituted bounds: those a relaxation depends on, or all (DeepPoly). */
  tighten: 'unstable' | 'all';
  /** Per-node output shapes (forwardShapes), computed when not given. */
  shapes?: number[][];
}

/**
 * Lower bounds [B, S] of C·logits over the region around each input of x, C [B, S, K], by
 * back-substitution with the given relaxation choices. `method` names the caller in messages.
 * Differentiable when called outside noGrad.
 */
export function linearSpecBounds(method: string, net: BoundNetwork, x: Tensor, eps: number | ArrayLike<number>, C: Tensor, o: LinearBoundOptions): Tensor {
  return tidy(() => {
    const missing = net.nodes.slice(1).find((n) => !n.backward);
    if (missing) throw new Error(`${method}: layer kind ${missing.kind} is not supported (it has no backward bound)`);
    if (!(Number.isSafeInteger(o.maxElements) && o.maxElements >= 1)) throw new RangeError(`${method}: maxElements ${o.maxElements} must be an integer >= 1`);
    const shapes = o.shapes ?? forwardShapes(net, x.slice(0, 0, 1)).shapes;
    const B = x.shape[0];
    const consumers = consumersOf(net);
    const boxes: Box[] = [inputBox(x, eps, o)];
    const tight: boolean[] = [true];
    for (let k = 1; k < net.output; k++) {
      const node = net.nodes[k];
      let box = node.interval(node.inputs.map((i) => boxes[i]));
      const relaxers = consumers[k].filter((c) => !net.nodes[c].affine);
      const tighten = relaxers.length > 0 && node.affine && o.intermediate === 'backsub';
      if (tighten) box = tightened(k, box, relaxers);
      boxes.push(box);
      // a box worth concretising at: the input, back-substituted bounds, or the exact image of a
      // relaxed node (an affine node's IBP box never beats concretising one node further back)
      tight.push(tighten || !node.affine);
    }
    return backsubstitute(net, shapes, boxes, net.output, C, { lowerSlope: o.lowerSlope, tight: o.multiDepth !== 'none' ? tight : undefined });

    /** Back-substituted bounds of node k's output, intersected with its box, for the neurons worth it. */
    function tightened(k: number, [l, u]: Box, relaxers: number[]): Box {
      const n = size(shapes[k]);
      const masks = o.tighten === 'all' || relaxers.some((c) => !net.nodes[c].unstable) ? null : relaxers.map((c) => net.nodes[c].unstable!([l, u]));
      // neurons that some input of the batch needs; the relaxation is exact on the others
      const counts: number[] = masks
        ? tidy(() => masks.reduce((a, b) => a.logicalOr(b)).reshape([B, n]).to('float32').sum(0).toArray())
        : new Array<number>(n).fill(1);
      const rowsOf: number[] = [];
      counts.forEach((c, i) => c > 0 && rowsOf.push(i));
      if (rowsOf.length === 0) return [l, u];
      const widest = Math.max(...shapes.slice(0, k + 1).map(size));
      const rows = Math.max(1, Math.floor(o.maxElements / (2 * B * widest)));
      const lowers: Tensor[] = [];
      const uppers: Tensor[] = [];
      for (let r0 = 0; r0 < rowsOf.length; r0 += rows) {
        const idx = rowsOf.slice(r0, r0 + rows);
        const m = idx.length;
        const [lb, ub] = tidy(() => {
          const I = oneHot(tensor(Int32Array.from(idx), [m], 'int32', l.device).to('int64'), n).to(l.dtype);
          const A0 = cat([I, I.neg()], 0).reshape([1, 2 * m, ...shapes[k]]);
          const b = backsubstitute(net, shapes, boxes, k, A0, { lowerSlope: o.lowerSlope, tight: o.multiDepth === 'all' ? tight : undefined, slack: ROUNDING_SLACK }); // [B, 2m]
          return [b.slice(1, 0, m), b.slice(1, m, 2 * m).neg()];
        });
        lowers.push(lb);
        uppers.push(ub);
      }
      const index = tensor(Int32Array.from(rowsOf), [1, rowsOf.length], 'int32', l.device).to('int64').expand([B, rowsOf.length]);
      const flatL = l.reshape([B, n]);
      const flatU = u.reshape([B, n]);
      const newL = flatL.scatter(1, index, cat(lowers, 1).maximum(flatL.gather(1, index)));
      const newU = flatU.scatter(1, index, cat(uppers, 1).minimum(flatU.gather(1, index)));
      return [newL.reshape([B, ...shapes[k]]), newU.reshape([B, ...shapes[k]])];
    }
  });
}
