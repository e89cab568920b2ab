// Bounds through the residual BasicBlock: it adds its parts to the graph, relu(bn2(conv2(relu(
// bn1(conv1(x))))) + shortcut(x)), so both branches see the same input node and the backward
// pass sums their coefficients on it (exact for the sum, unlike adding the branches' intervals).
// Every part is an ordinary layer node with its own relaxation and its own intermediate bounds.
import { ReLU, type BasicBlock } from '../../nn/index.js';
import type { CompositeBoundModule } from './types.js';

const relu = new ReLU(); // parameter-free: one instance serves every block

export const basicBlock: CompositeBoundModule<BasicBlock> = {
  kind: 'BasicBlock',
  expand(layer, g, x) {
    let h = x;
    for (const m of [layer.conv1, layer.bn1, relu, layer.conv2, layer.bn2]) h = g.module(m, h);
    const s = layer.shortcut ? g.module(layer.shortcut, x) : x;
    return g.module(relu, g.add(h, s));
  },
};
