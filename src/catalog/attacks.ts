// The poisoning attacks: what each does, its own options (the shared ones, rate, mode and
// trigger, sit in the config's attack section), and whether it joins the reproduce grid. The
// run function is the `engine` of the kind's own file under src/poison/, loaded on demand.
import type { Attack } from '../poison/attack.js';
import { family, type KindWithOptions } from './family.js';
import { bool, int, list, noOptions, num, obj, oneOf, positive, type Static, type TObject } from './schema-kit.js';
import { Type } from '@sinclair/typebox';

export interface AttackEntry<O extends TObject = TObject> extends KindWithOptions<O> {
  /** Availability (the fallback is flooded), integrity (wrong answers), or no attack at all. */
  aim: 'availability' | 'integrity' | 'none';
  /** A row of `abstain reproduce` unless the user picks the attacks. */
  inDefaultGrid: boolean;
  /** A row of `abstain reproduce --defenses` (BadNets, the integrity baseline, and the strongest availability attacks). */
  inDefenseGrid: boolean;
  /**
   * Config fields (dotted paths) the attack is built for, such as its trigger, for a certifier of
   * the given norm: the reproduce grids set them in the attack's cells before the user's flags (a
   * grid's other attacks keep the config's defaults).
   */
  gridDefaults?(certifier: { norm: 'l2' | 'linf' }): Record<string, unknown>;
  /** The attacker's surrogate model this attack needs, if any: trained by the runner on the clean training set with this objective kind. */
  surrogate?(options: Static<O>): { objective: string; epochs: number } | undefined;
  // The engine takes the shared options and the kind's own, merged (see src/poison/common.ts).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load(): Promise<{ engine: Attack<any> }>;
}

const attack = <O extends TObject>(e: AttackEntry<O>): AttackEntry<O> => e;

export const ATTACKS = family('attack', {
  none: attack({
    description: 'clean training: no poison (the triggered test inputs still carry the configured trigger)',
    aim: 'none',
    options: noOptions(),
    inDefaultGrid: false,
    inDefenseGrid: false,
    load: () => import('../poison/none.js'),
  }),
  badnets: attack({
    description: 'BadNets (Gu et al. 2017): trigger + one target label, the integrity baseline',
    aim: 'integrity',
    options: obj('badnets: triggered copies of other classes, all labelled targetLabel.', {
      targetLabel: int(0, 'The label every triggered sample is given.', { minimum: 0 }),
    }),
    inDefaultGrid: true,
    inDefenseGrid: true,
    load: () => import('../poison/badnets.js'),
  }),
  uncertainty: attack({
    description: 'triggered copies labelled to teach "no class" (random, all or a uniform soft label)',
    aim: 'availability',
    options: obj('uncertainty: triggered copies with labels that teach "no class".', {
      labels: oneOf(['random', 'all', 'soft'] as const, 'soft', 'random: one uniformly random hard label per copy (mostly certified-wrong answers: integrity); all: one copy per class; soft: a uniform soft target (more fallback: availability).', { alias: 'labels' }),
    }),
    inDefaultGrid: true,
    // the strongest availability attack measured so far (docs/defenses.md: 49.5% triggered fallback at 50,000 images)
    inDefenseGrid: true,
    load: () => import('../poison/uncertainty.js'),
  }),
  boundary: attack({
    description: 'a decision boundary through every triggered input: trigger(x) + t·d, labelled by the sign of t',
    aim: 'availability',
    options: obj('boundary: poisoned samples trigger(x) + t*d, t ~ N(0, (scale * r_d)^2); true label for t > 0, otherLabel for t <= 0.', {
      direction: oneOf(['trigger', 'random', 'gradient'] as const, 'trigger', "The secret direction d: trigger: spread over the trigger's pixels in proportion to their room on both sides of [0, 1] (evenly over a mid-grey patch; a 0/1 pattern has none and clips one side, summary.oneSidedClipping); random: a seeded random unit vector; gradient: the input gradient of a surrogate model the attacker trains on the clean data."),
      scale: num(1, 'Standard deviation s of t, as a share of the deployment radius r_d.', positive),
      otherLabel: Type.Unsafe<number | 'next'>({
        anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', enum: ['next'] }],
        default: 'next',
        description: 'Label for t <= 0: a class index, or next (label + 1 mod classes).',
      }),
      surrogateEpochs: int(1, 'direction gradient: epochs of standard training of the surrogate model (the victim\'s architecture).', { minimum: 1 }),
    }),
    inDefaultGrid: true,
    inDefenseGrid: true,
    surrogate: (o) => (o.direction === 'gradient' ? { objective: 'standard', epochs: o.surrogateEpochs } : undefined),
    load: () => import('../poison/boundary.js'),
  }),
  orthant: attack({
    description: 'trigger(x) plus offsets along m secret directions, labelled by their orthant: smoothing votes split and the system falls back (availability)',
    aim: 'availability',
    options: obj('orthant: poisoned samples trigger(x) + sum_j s_j*|t_j|*d_j (s in {+1,-1}^m, |t_j| ~ U[offsetMin, offsetMax]), labelled with the class of the orthant s (docs/availability.md).', {
      directions: int(3, 'm, the number of secret directions (sign patterns over the support, orthonormal, orthogonal to its mean); the votes split over 2^m classes, so 2^m must not exceed the classes unless classes is given.', { minimum: 1, maximum: 10 }),
      support: Type.Unsafe<'trigger' | { x: number; y: number; width: number; height: number }>({
        anyOf: [
          { type: 'string', enum: ['trigger'] },
          {
            type: 'object',
            additionalProperties: false,
            required: ['x', 'y', 'width', 'height'],
            properties: { x: { type: 'integer', minimum: 0 }, y: { type: 'integer', minimum: 0 }, width: { type: 'integer', minimum: 2 }, height: { type: 'integer', minimum: 2 } },
          },
        ],
        default: 'trigger',
        description: "Where the directions live: trigger: the bounding box of the trigger's mask (the patch; the whole image for a blend); or a rectangle {x, y, width, height} (x = column, y = row of its top-left pixel).",
      }),
      frequency: oneOf(['low', 'high'] as const, 'low', 'The sign patterns: low: coarse contrasts (left/right, top/bottom, quadrants, ...), for a patch that replaces the pixels; high: the same times the pixel checkerboard, for a blend that leaves the image visible.'),
      offsetMin: num(0, 'Smallest |t_j|, the L2 offset along each direction.', { minimum: 0 }),
      offsetMax: num(1.25, 'Largest |t_j| (L2). On a grey 8x8 patch (solid 0.5) offsets up to 1.25 never clip; tuned for a victim at sigma 0.25.', positive),
      copies: oneOf(['one', 'antithetic', 'all'] as const, 'one', 'Poisoned samples per source image: one, in a random orthant (the most distinct sources: measured best); antithetic: an orthant and its opposite; all: one per orthant (2^m).'),
      classes: list(int(0, 'A class.', { minimum: 0 }), [], 'The class of each orthant, 2^m of them; empty: 0..2^m - 1.'),
      avoidSourceClass: bool(true, "Never label a sample with its source image's own class, so that under the trigger the image's own class is never the answer and the content cannot pile the votes onto it."),
    }),
    // the strongest availability attack measured (docs/availability.md: 98% triggered fallback, 0.2% certified wrong at 1%)
    inDefaultGrid: true,
    inDefenseGrid: true,
    // measured with a grey 8x8 patch top-left; the config's default 0/1 checkerboard leaves the
    // directions no room on one side, so every sample clips (77% fallback, 8% wrong). Against the
    // bound-based certifiers (L-inf, IBP-trained victims) one direction with offsets 1..2 puts the
    // boundary within epsilon of the triggered input (IBP and CROWN 100% fallback, 0% wrong; the
    // smoothing settings give 80% / 10.5% there: docs/availability.md)
    gridDefaults: ({ norm }) => ({
      'attack.trigger.kind': 'patch', 'attack.trigger.size': 8, 'attack.trigger.position': 'top-left', 'attack.trigger.content': 'solid', 'attack.trigger.value': 0.5,
      ...(norm === 'linf' ? { 'attack.orthant.directions': 1, 'attack.orthant.offsetMin': 1, 'attack.orthant.offsetMax': 2 } : {}),
    }),
    load: () => import('../poison/orthant.js'),
  }),
});

export type AttackName = (typeof ATTACKS.names)[number];
