// A size given as one number or an [h, w] pair, normalised to the pair.
import type { Pair } from '../../tensor/index.js';

export const toPair = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : [p[0], p[1]]);
