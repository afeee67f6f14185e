// Lineage of an artifact: upstream (what made it: attempts, inputs, data
// versions) and downstream (what was made from it), drawn as one graph
// whose nodes link to their runs and artifacts.
import { api, q } from './api.mjs';
import { h } from './dom.mjs';
import { formatTime, shortSha } from './format.mjs';
import { lineageGraph } from './graph.mjs';
import { renderGraph } from './graph_view.mjs';

export async function lineageView(ctx) {
  const sha = ctx.route.path[1];
  const [up, down] = await Promise.all([
    api.get(`/api/v1/lineage/${sha}${q({ direction: 'upstream' })}`),
    api.get(`/api/v1/lineage/${sha}${q({ direction: 'downstream' })}`),
  ]);
  const graph = lineageGraph(sha, up, down);
  return h('section', { 'aria-labelledby': 'h-lineage' },
    h('h1', { id: 'h-lineage' }, `Lineage of ${shortSha(sha)}`),
    h('p', {}, `artifact ${sha}, ${up.root.size} bytes, ${up.root.media_type || 'no media type'}, made ${formatTime(up.root.created_ms)}`),
    renderGraph(graph, { label: `lineage graph of ${shortSha(sha)}`, selected: `artifact:${sha}` }),
    h('p', { class: 'legend' }, 'Boxes: artifacts (name and digest), stage attempts (run and status), data versions. Arrows point from inputs to what was made of them.'));
}
