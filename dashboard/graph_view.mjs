// Draws a laid-out graph (graph.mjs) as SVG: each node a link (keyboard
// focusable), its status as a colour and as text, edges as paths.
import { h } from './dom.mjs';
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from './graph.mjs';

export function renderGraph(graph, { label, selected } = {}) {
  if (!window.dagre) return h('p', { class: 'notice' }, 'The graph layout library is not installed (docs/dashboard.md).');
  const lay = layoutGraph(window.dagre, graph);
  const svg = h('svg:svg', {
    class: 'graph', role: 'group', 'aria-label': label || 'graph',
    viewBox: `0 0 ${lay.width} ${lay.height}`, width: lay.width, height: lay.height,
  });
  svg.append(h('svg:defs', {}, h('svg:marker', {
    id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse',
  }, h('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))));
  for (const e of lay.edges) {
    const d = e.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    svg.append(h('svg:path', { d, class: 'edge', 'marker-end': 'url(#arrow)', 'data-from': e.from, 'data-to': e.to }));
  }
  for (const n of lay.nodes) {
    const x = n.x - NODE_WIDTH / 2;
    const y = n.y - NODE_HEIGHT / 2;
    const body = [
      h('svg:title', {}, n.title || `${n.label} — ${n.sublabel}`),
      h('svg:rect', { x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 6 }),
      h('svg:text', { x: x + 10, y: y + 19, class: 'node-label' }, clip(n.label, 22)),
      h('svg:text', { x: x + 10, y: y + 36, class: 'node-sub' }, clip(n.sublabel, 26)),
    ];
    const attrs = {
      class: `node kind-${n.kind} status-${n.status}${selected === n.id ? ' selected' : ''}`,
      'data-id': n.id, 'data-status': n.status, 'aria-label': `${n.label}: ${n.sublabel}`,
    };
    svg.append(n.href ? h('svg:a', { ...attrs, href: n.href }, body) : h('svg:g', attrs, body));
  }
  return h('div', { class: 'graph-wrap' }, svg);
}

function clip(s, n) {
  s = String(s || '');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

// Updates node statuses in place (live run page) without a new layout.
export function updateStatuses(container, graph) {
  for (const n of graph.nodes) {
    const el = container.querySelector(`[data-id="${CSS.escape(n.id)}"]`);
    if (!el) return false;
    if (el.dataset.status !== n.status) {
      el.setAttribute('class', el.getAttribute('class').replace(/status-\S+/, `status-${n.status}`));
      el.dataset.status = n.status;
      el.setAttribute('aria-label', `${n.label}: ${n.sublabel}`);
      const sub = el.querySelector('.node-sub');
      if (sub) sub.textContent = n.sublabel;
    }
  }
  return true;
}
