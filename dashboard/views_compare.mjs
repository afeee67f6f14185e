// Run comparison: params and final metrics side by side, rows that differ
// marked (by a symbol and a class, not by colour alone), and one metric's
// curves of every run on one chart.
import { api, q } from './api.mjs';
import { h } from './dom.mjs';
import { compareRuns, formatValue } from './format.mjs';
import { renderChart } from './chart.mjs';
import { link } from './ui.mjs';

export async function compareView(ctx) {
  const ids = String(ctx.route.query.runs || '').split(',').map(Number).filter((n) => n > 0).slice(0, 8);
  const out = h('section', { 'aria-labelledby': 'h-compare' }, h('h1', { id: 'h-compare' }, `Compare runs ${ids.map((i) => `#${i}`).join(', ')}`));
  if (ids.length < 2) {
    out.append(h('p', {}, 'Pick two or more runs on the runs page.'));
    return out;
  }
  const runs = await Promise.all(ids.map((i) => api.get(`/api/v1/runs/${i}`)));
  const rows = compareRuns(runs);
  out.append(h('table', { class: 'compare' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, 'name'),
      runs.map((r) => h('th', { scope: 'col' }, link(`#/runs/${r.id}`, `#${r.id}`))))),
    h('tbody', {}, rows.map((r) => h('tr', { class: r.differs ? 'differs' : '', 'data-name': r.name, 'data-section': r.section },
      h('td', { 'aria-label': r.differs ? 'differs' : 'same' }, r.differs ? '≠' : ''),
      h('th', { scope: 'row' }, `${r.section}: ${r.name}`),
      r.values.map((v) => h('td', {}, formatValue(v))))))));
  const key = ctx.route.query.key || 'loss';
  const answers = await Promise.all(ids.map((i) => api.get(`/api/v1/runs/${i}/metrics${q({ key })}`)));
  const series = answers.flatMap((a) => a.series.map((s) => ({ label: `#${a.run_id} ${s.stage} ${s.key}`, points: s.points })));
  if (series.length) out.append(h('h2', {}, `${key} per step`), renderChart(series, { title: `${key} of runs ${ids.join(', ')}` }));
  return out;
}
