import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { layoutGraph, lineageGraph, stageGraph } from '../../dashboard/graph.mjs';

test('the stage graph has every stage of the definition, its needs as edges, and live statuses', () => {
  const def = [{ name: 'a', needs: [] }, { name: 'b', needs: ['a'] }, { name: 'c', needs: ['a', 'b'] }];
  const attempts = [
    { stage: 'a', attempt: 1, status: 'failed' }, { stage: 'a', attempt: 2, status: 'succeeded', cache_hit: true },
    { stage: 'b', attempt: 1, status: 'running' }, { stage: 'extra', attempt: 1, status: 'queued' },
  ];
  const g = stageGraph(def, attempts, 7);
  assert.deepEqual(g.nodes.map((n) => [n.stage, n.status]), [['a', 'cached'], ['b', 'running'], ['c', 'pending'], ['extra', 'queued']]);
  assert.equal(g.nodes[0].sublabel, '≡ cached (attempt 2)');
  assert.deepEqual(g.edges, [{ from: 'stage:a', to: 'stage:b' }, { from: 'stage:a', to: 'stage:c' }, { from: 'stage:b', to: 'stage:c' }]);
  assert.equal(g.nodes[1].href, '#/runs/7?stage=b');
});

test('lineage: consumed edges point into the attempt, produced ones out; answers merge without duplicates', () => {
  const A = 'a'.repeat(64);
  const M = 'b'.repeat(64);
  const up = {
    runs: [{ id: 3 }],
    attempts: [{ id: 10, run_id: 3, stage: 'train', status: 'succeeded' }],
    artifacts: [{ sha256: A }, { sha256: M }],
    edges: [{ attempt_id: 10, artifact: A, kind: 'consumed', name: 'iris.csv' },
      { attempt_id: 10, artifact: M, kind: 'produced', name: 'model.mlp' }],
    data_versions: [{ id: 1, path: '/d/iris.csv', sha256: A, run_id: 3 }],
  };
  const g = lineageGraph(M, up, { ...up, data_versions: [] });
  const ids = g.nodes.map((n) => n.id).sort();
  assert.deepEqual(ids, [`artifact:${A}`, `artifact:${M}`, 'attempt:10', 'data:1']);
  assert.deepEqual(g.edges.map((e) => `${e.from}>${e.to}`).sort(),
    [`artifact:${A}>attempt:10`, `attempt:10>artifact:${M}`].sort());
  const model = g.nodes.find((n) => n.id === `artifact:${M}`);
  assert.equal(model.label, 'model.mlp');
  assert.equal(model.status, 'root');
  assert.equal(model.href, `#/lineage/${M}`);
});

test('dagre lays the graph out left to right', (t) => {
  const path = join(process.env.MLOPS_SOURCE_DIR || join(import.meta.dirname, '../..'), '.tools/node/node_modules/@dagrejs/dagre');
  if (!existsSync(path)) return t.skip('@dagrejs/dagre is not installed (scripts/install-node-tools.sh)');
  const dagre = createRequire(import.meta.url)(path);
  const lay = layoutGraph(dagre, stageGraph([{ name: 'a' }, { name: 'b', needs: ['a'] }, { name: 'c', needs: ['a', 'ghost'] }], [], 1));
  const x = Object.fromEntries(lay.nodes.map((n) => [n.stage, n.x]));
  assert.ok(x.a < x.b && x.a < x.c);
  assert.equal(lay.edges.length, 2);  // the edge from an unknown stage is dropped
  assert.ok(lay.width > 0 && lay.height > 0);
});
