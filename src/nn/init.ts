// PyTorch's default initialisation, drawn from an explicit generator so a model is reproducible
// from a seed. Linear and Conv2d call kaiming_uniform_(weight, a=√5) then a uniform bias, in
// that order, exactly as torch.nn does.
import { keep, noGrad, zeros, type Generator, type Shape, type Tensor } from '../tensor/index.js';

/** fan_in as torch.nn.init._calculate_fan_in_and_fan_out: in-features × receptive field. */
export function fanIn(shape: Shape): number {
  if (shape.length < 2) throw new RangeError(`fanIn: needs a weight of rank ≥ 2, got shape [${shape.join(',')}]`);
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** The bound of kaiming_uniform_: gain·√(3/fan_in) with gain = √(2/(1+a²)) (leaky_relu gain). */
export function kaimingUniformBound(fan: number, a = Math.sqrt(5)): number {
  const gain = Math.sqrt(2 / (1 + a * a));
  return gain * Math.sqrt(3 / fan);
}

/** A new parameter (exempt from tidy, requires grad) drawn uniform in [-bound, bound]. */
export function uniformParameter(shape: Shape, bound: number, generator?: Generator): Tensor {
  const t = keep(zeros(shape));
  noGrad(() => t.uniform_(-bound, bound, generator));
  return t.requiresGrad_(true);
}

/** A new parameter (exempt from tidy, requires grad) holding a constant. */
export function constantParameter(shape: Shape, value: number): Tensor {
  const t = keep(zeros(shape));
  if (value !== 0) t.fill_(value);
  return t.requiresGrad_(true);
}
