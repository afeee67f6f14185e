// Graph building for the stage DAG and the lineage view, and the layout
// through dagre (passed in, so that node tests run without a browser).
// A graph is {nodes: [{id, label, kind, status, href}], edges: [{from, to}]}.
// Pure functions; unit-tested in tests/dashboard/graph.test.mjs.
import { latestAttempts, shortSha, statusInfo } from './format.mjs';

// The stage DAG of a run: one node per stage of the pipeline's definition
// (`defStages`: [{name, needs}]) plus any stage only the run's attempts name;
// each node's status is its latest attempt's ("pending" without one).
export function stageGraph(defStages, attempts, runId) {
  const latest = latestAttempts(attempts);
  const names = [...(defStages || []).map((s) => s.name)];
  for (const name of latest.keys()) if (!names.includes(name)) names.push(name);
  const nodes = names.map((name) => {
    const a = latest.get(name);
    const st = statusInfo(a ? a.status : 'pending', a ? a.cache_hit : false);
    return {
      id: `stage:${name}`, stage: name, label: name, kind: 'stage', status: st.key,
      sublabel: `${st.symbol} ${st.label}${a && a.attempt > 1 ? ` (attempt ${a.attempt})` : ''}`,
      href: `#/runs/${runId}?stage=${encodeURIComponent(name)}`,
    };
  });
  const edges = [];
  for (const s of defStages || []) {
    for (const need of s.needs || []) edges.push({ from: `stage:${need}`, to: `stage:${s.name}` });
  }
  return { nodes, edges };
}

// The lineage of an artifact from the API's upstream and downstream
// answers: artifact nodes (named by the edges that made or read them),
// stage-attempt nodes, data-version nodes; consumed edges point from the
// artifact to the attempt, produced ones from the attempt to the artifact.
export function lineageGraph(root, ...answers) {
  const nodes = new Map();
  const edges = new Map();
  const attemptRun = new Map();
  const addEdge = (from, to) => edges.set(`${from}>${to}`, { from, to });
  const artifactNode = (sha, name) => {
    const id = `artifact:${sha}`;
    const n = nodes.get(id) || {
      id, kind: 'artifact', label: '', sublabel: shortSha(sha), status: sha === root ? 'root' : 'artifact',
      href: `#/lineage/${sha}`,
    };
    if (name && !n.label) {
      n.label = name.split('/').pop();
      n.title = `${name} — ${sha}`;
    }
    nodes.set(id, n);
    return id;
  };
  for (const g of answers) {
    if (!g) continue;
    for (const r of g.runs || []) attemptRun.set(r.id, r);
    for (const a of g.attempts || []) {
      nodes.set(`attempt:${a.id}`, {
        id: `attempt:${a.id}`, kind: 'attempt', label: a.stage,
        sublabel: `run ${a.run_id} · ${statusInfo(a.status, a.cache_hit).label}`,
        status: statusInfo(a.status, a.cache_hit).key,
        href: `#/runs/${a.run_id}?stage=${encodeURIComponent(a.stage)}`,
      });
    }
    for (const a of g.artifacts || []) artifactNode(a.sha256);
    for (const e of g.edges || []) {
      const art = artifactNode(e.artifact, e.name);
      const att = `attempt:${e.attempt_id}`;
      if (!nodes.has(att)) {
        nodes.set(att, { id: att, kind: 'attempt', label: `attempt ${e.attempt_id}`, sublabel: '', status: 'unknown' });
      }
      if (e.kind === 'consumed') addEdge(art, att);
      else addEdge(att, art);
    }
    for (const dv of g.data_versions || []) {
      const id = `data:${dv.id}`;
      nodes.set(id, {
        id, kind: 'data', label: dv.path.split('/').pop(), sublabel: `data ${shortSha(dv.sha256)}`,
        status: 'data', title: dv.path,
      });
      const run = attemptRun.get(dv.run_id);
      // A data version feeds the run's first attempts: those that consumed nothing.
      for (const a of g.attempts || []) {
        if (run && a.run_id === run.id && !(g.edges || []).some((e) => e.attempt_id === a.id && e.kind === 'consumed')) {
          addEdge(id, `attempt:${a.id}`);
        }
      }
    }
  }
  for (const n of nodes.values()) if (!n.label) n.label = n.sublabel;
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export const NODE_WIDTH = 168;
export const NODE_HEIGHT = 46;

// Positions every node with dagre (left to right). Returns
// {width, height, nodes: [{...node, x, y}], edges: [{...edge, points}]}.
export function layoutGraph(dagre, graph) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 18, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of graph.nodes) g.setNode(n.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges = graph.edges.filter((e) => g.hasNode(e.from) && g.hasNode(e.to));
  for (const e of edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const info = g.graph();
  return {
    width: Math.ceil(info.width || 0),
    height: Math.ceil(info.height || 0),
    nodes: graph.nodes.map((n) => ({ ...n, x: g.node(n.id).x, y: g.node(n.id).y })),
    edges: edges.map((e) => ({ ...e, points: g.edge(e.from, e.to).points })),
  };
}
