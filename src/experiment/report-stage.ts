// The report stage: metrics per certifier, summary.json, plots and report.html, from the
// certificates of a run (handed over by the certify stages, or read back from certs-*.jsonl), so
// `abstain run`, `abstain certify` (a user's own model) and `abstain report` (a rebuild) agree.
import { existsSync } from 'node:fs';
import { CERTIFIERS } from '../catalog/index.js';
import { curveRadiiFor, deploymentRadiusFor } from '../config/index.js';
import { summarizeCertifier, type DefensesSummary, type Summary } from '../pipeline/index.js';
import type { CertificateCore } from '../certify/certificate.js';
import { formatDefensesTable, formatTable, writeReport, writeSummary, defaultVersions, type CertificateSets } from '../report/index.js';
import { torchVersions } from '../tensor/index.js';
import type { Dataset } from '../data/index.js';
import type { RunContext } from './context.js';
import { certifyStage, certsFile, EVAL_SETS, MODEL_FILES } from './stages.js';
import { modelPredictions } from './certify-set.js';
import { withRefusals } from '../defend/metrics.js';
import { defensePlan } from './defense-plan.js';
import { defendedInputs, refusals } from './defense-stages.js';
import { defensesSummary } from './defense-report.js';

const KEY: Record<(typeof EVAL_SETS)[number]['name'], keyof CertificateSets> = { clean: 'clean', trigger: 'triggered', baseline: 'baseline', 'baseline-trigger': 'baselineTriggered' };

/** Writes summary.json, plots/*.svg and report.html into the run folder; leaves the summary and its table on the context. */
export async function writeRunReport(ctx: RunContext): Promise<void> {
  const cfg = ctx.cfg;
  const sets = EVAL_SETS.filter((s) => cfg.baseline || s.model !== 'baseline');
  const plan = defensePlan(cfg);
  // The plain models' predictions (clean accuracy) and the example images need the data and the
  // weights; without them the report still builds, with accuracy taken from the certificates.
  let data: { clean: Dataset; triggered: Dataset } | undefined;
  const predictions: Partial<Record<keyof CertificateSets, number[]>> = {};
  let defendedPredictions: { clean: number[]; triggered: number[] } | undefined;
  // The defended system: its own certificates where it changes the model or the inputs, else the
  // victim's; an input a defense refuses goes to the fallback.
  const refused = plan.defended ? refusals(ctx, plan) : null;
  const defendedCerts = (kind: string, c: CertificateSets): { defended: CertificateCore[]; defendedTriggered: CertificateCore[] } | undefined => {
    if (!plan.defended) return undefined;
    const clean = plan.certifyDefended ? ctx.certificates(certifyStage(kind, 'defended'), certsFile('defended', kind)) : c.clean;
    const trig = plan.certifyDefended ? ctx.certificates(certifyStage(kind, 'defended-trigger'), certsFile('defended-trigger', kind)) : c.triggered;
    return {
      defended: refused ? withRefusals(clean, refused.clean) : [...clean],
      defendedTriggered: refused ? withRefusals(trig, refused.trigger) : [...trig],
    };
  };
  try {
    data = ctx.data();
    for (const s of sets) {
      if (!existsSync(ctx.modelFile(s.model, MODEL_FILES[s.model]))) continue;
      predictions[KEY[s.name]] = modelPredictions(ctx.model(s.model, MODEL_FILES[s.model]), s.triggered ? data.triggered : data.clean);
    }
    if (plan.defended && existsSync(ctx.modelFile(plan.defendedModel, MODEL_FILES[plan.defendedModel]))) {
      const m = ctx.model(plan.defendedModel, MODEL_FILES[plan.defendedModel]);
      defendedPredictions = {
        clean: modelPredictions(m, await defendedInputs(ctx, plan, data.clean)),
        triggered: modelPredictions(m, await defendedInputs(ctx, plan, data.triggered)),
      };
    }
  } catch (e) {
    ctx.io.log(`report: ${(e as Error).message}; accuracy is taken from the certificates and the example grid is left out`);
  }
  const summary: Summary = {};
  const certificates: Record<string, CertificateSets> = {};
  for (const kind of cfg.certify.kinds) {
    const c = Object.fromEntries(sets.map((s) => [KEY[s.name], ctx.certificates(certifyStage(kind, s.name), certsFile(s.name, kind))])) as unknown as CertificateSets;
    certificates[kind] = c;
    summary[kind] = summarizeCertifier({
      certifier: kind,
      norm: CERTIFIERS.get(kind).norm,
      ...c,
      ...defendedCerts(kind, c),
      predictions: {
        clean: predictions.clean, triggered: predictions.triggered, baseline: predictions.baseline, baselineTriggered: predictions.baselineTriggered,
        defended: defendedPredictions?.clean, defendedTriggered: defendedPredictions?.triggered,
      },
      radii: curveRadiiFor(cfg, kind),
      deploymentRadius: deploymentRadiusFor(cfg, kind),
      triggerShares: cfg.fallback.triggerShares,
      costPerRequest: cfg.fallback.costPerRequest,
    });
  }
  const defenses: DefensesSummary | undefined = cfg.defense.kinds.length ? defensesSummary(ctx, plan, predictions.clean, defendedPredictions?.clean) : undefined;
  const file = writeSummary(ctx.runDir, summary, { config: cfg, seed: cfg.seed, versions: defaultVersions(torchVersions()), timings: ctx.timings, ...(defenses ? { defenses } : {}) });
  const pick = (ds: Dataset) => Array.from({ length: Math.min(8, ds.length) }, (_, i) => ({ data: ds.image(i), shape: ds.shape }));
  await writeReport(ctx.runDir, {
    summary: file,
    certificates,
    examples: data ? { clean: pick(data.clean), triggered: pick(data.triggered) } : undefined,
    title: ctx.title ?? `abstain: ${cfg.name}`,
  });
  ctx.summary = summary;
  ctx.defenses = defenses;
  ctx.table = formatTable(summary) + (defenses ? formatDefensesTable(defenses) : '');
}
