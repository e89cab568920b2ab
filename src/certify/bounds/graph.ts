// The network as a graph of bound nodes (after auto_LiRPA's BoundedModule). Node 0 is the input;
// every other node applies one operator to the outputs of earlier nodes, so the node order is a
// topological order. A Sequential becomes a chain of layer nodes; a composite layer (BasicBlock)
// adds its branches and their sum. IBP walks the nodes forward; CROWN and DeepPoly walk them
// backward (backsub.ts), summing the coefficients of a node that several nodes consume.
import type { Tensor } from '../../tensor/index.js';
import { Sequential, type Module } from '../../nn/index.js';
import { boundModuleFor, type BoundMethod } from './registry.js';
import type { BoundModule, Box, LowerSlope } from './types.js';

export interface NodeBackwardContext {
  /** The per-input shapes of the node's inputs (without the batch dimension). */
  inputShapes: ReadonlyArray<readonly number[]>;
  /** The bounds of the node's inputs (given to non-affine nodes only). */
  inputBoxes?: Box[];
  lowerSlope: LowerSlope;
}

export interface BoundNode {
  /** The operator, as named in messages. */
  readonly kind: string;
  /** True when the node is an affine map of its inputs. */
  readonly affine: boolean;
  /** The nodes whose outputs this node takes (all earlier; 0 is the network's input). */
  readonly inputs: readonly number[];
  forward(xs: Tensor[]): Tensor;
  /** IBP: a box holding the node's output whenever its inputs lie in their boxes. */
  interval(boxes: Box[]): Box;
  /**
   * CROWN: coefficients A [Ba, S, ...] on the output -> one coefficient tensor per input and the
   * constant added, with A·y >= Σ_i A_i·x_i + bias whenever the inputs lie in their boxes.
   */
  backward?(A: Tensor, ctx: NodeBackwardContext): { A: Tensor[]; bias: Tensor | null };
  /** Non-affine nodes: which neurons of the (single) input have a non-exact relaxation. */
  unstable?(input: Box): Tensor;
}

/** A model prepared for bounds: its nodes in topological order and the node of its output. */
export interface BoundNetwork {
  nodes: BoundNode[];
  output: number;
}

const inputNode: BoundNode = {
  kind: 'Input',
  affine: true,
  inputs: [],
  forward: () => {
    throw new Error('bounds: the input node has no forward pass');
  },
  interval: () => {
    throw new Error('bounds: the input node has no interval pass');
  },
};

/** The node applying one (non-composite) layer to node `input`. */
function layerNode<L extends Module>(layer: L, op: BoundModule<L>, input: number): BoundNode {
  const backward = op.backward;
  const unstable = op.unstable;
  return {
    kind: op.kind,
    affine: op.affine,
    inputs: [input],
    forward: ([x]) => layer.forward(x),
    interval: ([[lo, hi]]) => op.interval(layer, lo, hi),
    backward: backward
      ? (A, ctx) => {
          const box = ctx.inputBoxes?.[0];
          const r = backward(layer, A, { inputShape: ctx.inputShapes[0], lower: box?.[0], upper: box?.[1], lowerSlope: ctx.lowerSlope });
          return { A: [r.A], bias: r.bias };
        }
      : undefined,
    unstable: unstable ? ([lo, hi]) => unstable(lo, hi) : undefined,
  };
}

/** The residual sum y = x_a + x_b: affine, so exact both ways; coefficients go to both inputs. */
function addNode(a: number, b: number): BoundNode {
  return {
    kind: 'Add',
    affine: true,
    inputs: [a, b],
    forward: ([x, y]) => x.add(y),
    interval: ([[la, ua], [lb, ub]]) => [la.add(lb), ua.add(ub)],
    backward: (A) => ({ A: [A, A], bias: null }),
  };
}

/** Builds the graph; composite layers add their parts through it (CompositeBoundModule.expand). */
export class GraphBuilder {
  readonly nodes: BoundNode[] = [inputNode];
  constructor(readonly method: BoundMethod) {}

  /** Adds `module` (a layer, a Sequential or a composite) applied to node `input`; returns its output node. */
  module(module: Module, input: number): number {
    if (module instanceof Sequential) return module.layers.reduce((x, m) => this.module(m, x), input);
    const op = boundModuleFor(module, this.method);
    if ('expand' in op) return op.expand(module, this, input);
    return this.push(layerNode(module, op, input));
  }

  /** Adds the sum of two nodes' outputs (same shape). */
  add(a: number, b: number): number {
    return this.push(addNode(a, b));
  }

  private push(node: BoundNode): number {
    this.nodes.push(node);
    return this.nodes.length - 1;
  }
}

/** The bound graph of a model for `method` (a clear error when a layer kind has no bound for it). */
export function buildGraph(model: Module, method: BoundMethod): BoundNetwork {
  const g = new GraphBuilder(method);
  const output = g.module(model, 0);
  return { nodes: g.nodes, output };
}

/** For each node, the nodes that take its output. */
export function consumersOf(net: BoundNetwork): number[][] {
  const out: number[][] = net.nodes.map(() => []);
  net.nodes.forEach((n, k) => n.inputs.forEach((i) => out[i].push(k)));
  return out;
}

/** IBP through the graph: a box for every node up to `upTo` (default the output), from the input box. */
export function intervalNodes(net: BoundNetwork, input: Box, upTo = net.output): Box[] {
  const boxes: Box[] = [input];
  for (let k = 1; k <= upTo; k++) {
    const n = net.nodes[k];
    boxes.push(n.interval(n.inputs.map((i) => boxes[i])));
  }
  return boxes;
}
