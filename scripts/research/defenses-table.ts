// Renders the JSON of scripts/research/defenses.ts as a markdown table (docs/defenses.md):
//   node dist/scripts/research/defenses-table.js [docs/defenses-results.json]
import { readFileSync } from 'node:fs';

interface Rates { acc: number; cert: number; fallback: number; wrong: number }
interface Row {
  attack: string; defense: string; clean: Rates; triggered: Rates; seconds: number; note?: string;
  detection?: { precision: number; recall: number; cleanRemoved: number };
  rejection?: { trueRejectionRate: number; falseRejectionRate: number };
}
const file = process.argv[2] ?? 'docs/defenses-results.json';
const { rows } = JSON.parse(readFileSync(file, 'utf8')) as { rows: Row[] };
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}` : '–');
const undefended = new Map(rows.filter((r) => r.defense === 'none').map((r) => [r.attack, r]));
const lines = [
  '| attack | defense | clean acc | clean cert@r_d | trig. fallback | trig. cert. wrong | trig. cert@r_d | Δ clean cert | detection P / R (clean removed) | TRR / FRR | time s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of rows) {
  if (r.defense.startsWith('dpa')) continue;
  const u = undefended.get(r.attack);
  const delta = u && r.defense !== 'none' ? (100 * (r.clean.cert - u.clean.cert)).toFixed(1) : '';
  const det = r.detection ? `${r.detection.precision.toFixed(2)} / ${r.detection.recall.toFixed(2)} (${r.detection.cleanRemoved})` : '';
  const rej = r.rejection ? `${pct(r.rejection.trueRejectionRate)} / ${pct(r.rejection.falseRejectionRate)}` : '';
  lines.push(`| ${r.attack} | ${r.defense} | ${pct(r.clean.acc)} | ${pct(r.clean.cert)} | ${pct(r.triggered.fallback)} | ${pct(r.triggered.wrong)} | ${pct(r.triggered.cert)} | ${delta} | ${det} | ${rej} | ${Math.round(r.seconds)} |`);
}
console.log(lines.join('\n'));
const notes = rows.filter((r) => r.note);
if (notes.length) {
  console.log('\nNotes:\n');
  for (const r of notes) console.log(`- ${r.attack} / ${r.defense}: ${r.note}`);
}
