// Bounds through the residual BasicBlock: IBP only, as the interval sum of the two branches
// (conv-bn-relu-conv-bn, and the shortcut) followed by ReLU. Sound, but it forgets that both
// branches see the same input. No CROWN pass (the registry reports a clear error).
import type { BasicBlock } from '../../nn/index.js';
import type { BoundModule } from './types.js';

export const basicBlock: BoundModule<BasicBlock> = {
  kind: 'BasicBlock',
  affine: false,
  interval(layer, lo, hi, ctx) {
    let [l, u] = ctx.interval(layer.conv1, lo, hi);
    [l, u] = ctx.interval(layer.bn1, l, u);
    [l, u] = [l.relu(), u.relu()];
    [l, u] = ctx.interval(layer.conv2, l, u);
    [l, u] = ctx.interval(layer.bn2, l, u);
    const [sl, su] = layer.shortcut ? ctx.interval(layer.shortcut, lo, hi) : [lo, hi];
    return [l.add(sl).relu(), u.add(su).relu()];
  },
};
