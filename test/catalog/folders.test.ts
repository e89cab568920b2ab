// Data flows one way through the source folders: no folder imports (statically, dynamically or
// for types) a folder that imports it back, directly or through others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = resolve(fileURLToPath(new URL('../../../src', import.meta.url)));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** folder -> folders it imports (top-level folders under src/; src/index.ts and util/ are left out). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  const folderOf = (p: string) => relative(src, p).split('/')[0];
  for (const f of files(src)) {
    const from = folderOf(f);
    if (from.endsWith('.ts')) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)'(\.[^']+)'/g)) {
      const to = folderOf(resolve(dirname(f), m[1]));
      if (to === from || to.endsWith('.ts') || to.startsWith('..')) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

test('source folders import one way: the folder graph has no cycle', () => {
  const graph = folderGraph();
  assert.ok(graph.get('experiment')?.has('report'), 'the scan sees imports (experiment uses report)');
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
      return;
    }
    state.set(node, 'open');
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node, []);
  assert.deepEqual(cycles, []);
});
