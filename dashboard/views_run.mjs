// One run: its stage DAG (node colours follow the run live through the
// API's long poll), attempts with durations, the selected stage's params
// and log (followed while the stage runs; searchable), and metric curves.
import { api, enc, q } from './api.mjs';
import { clear, h } from './dom.mjs';
import { flattenParams, formatDuration, formatTime, formatValue, isTerminal, latestAttempts, shortSha, spanOf } from './format.mjs';
import { stageGraph } from './graph.mjs';
import { renderGraph, updateStatuses } from './graph_view.mjs';
import { renderChart } from './chart.mjs';
import { badge, errorBox, link, may } from './ui.mjs';

const DEFAULT_KEYS = ['loss', 'val_loss'];

export async function runView(ctx) {
  const id = Number(ctx.route.path[1]);
  const run = await api.get(`/api/v1/runs/${id}`);
  let defStages = [];
  try { defStages = (await api.get(`/api/v1/pipelines/${enc(run.pipeline)}`)).stages || []; } catch { /* removed pipeline */ }
  const stageName = ctx.route.query.stage || '';
  const out = h('section', { 'aria-labelledby': 'h-run', 'data-run': id });
  const statusEl = h('span', { class: 'run-badge' }, badge(run.status));
  out.append(h('h1', { id: 'h-run' }, `Run #${id} · ${run.pipeline} `, statusEl));
  const meta = h('dl', { class: 'meta' },
    h('dt', {}, 'trigger'), h('dd', {}, run.trigger),
    h('dt', {}, 'reason'), h('dd', { class: 'reason' }, run.reason),
    h('dt', {}, 'commit'), h('dd', { class: 'mono' }, run.commit || '—'),
    h('dt', {}, 'data'), h('dd', { class: 'data-versions' }, (run.data_versions || []).length
      ? run.data_versions.map((dv, i) => [i ? ', ' : '', link(`#/lineage/${dv.sha256}`, `${dv.path.split('/').pop()} (${shortSha(dv.sha256)})`, { title: dv.path })])
      : '—'),
    h('dt', {}, 'queued'), h('dd', {}, formatTime(run.queued_ms)),
    h('dt', {}, 'duration'), h('dd', { class: 'run-duration' }, formatDuration(spanOf(run))),
    run.results_run_id ? [h('dt', {}, 'results of'), h('dd', {}, link(`#/runs/${run.results_run_id}`, `run #${run.results_run_id}`))] : null,
    run.error ? [h('dt', {}, 'error'), h('dd', { class: 'error' }, run.error)] : null);
  out.append(meta);
  if (may(ctx.role, 'operator') && !isTerminal(run.status)) {
    out.append(h('button', {
      type: 'button', 'data-action': 'cancel',
      onclick: async (e) => { e.target.disabled = true; await api.post(`/api/v1/runs/${id}/cancel`).catch(() => {}); },
    }, 'Cancel run'));
  }
  const graphBox = h('div', { class: 'dag' });
  out.append(h('h2', {}, 'Stages'), graphBox);
  let graph = stageGraph(defStages, run.stages, id);
  graphBox.append(renderGraph(graph, { label: `stage graph of run ${id}`, selected: stageName ? `stage:${stageName}` : '' }));
  const attemptsBox = h('div', { class: 'attempts' }, attemptsTable(run, id));
  out.append(h('h2', {}, 'Attempts'), attemptsBox);
  const stageBox = h('div', { class: 'stage-panel' });
  out.append(stageBox);
  if (stageName) stagePanel(ctx, run, stageName, stageBox);
  const metricsBox = h('div', { class: 'metrics' });
  out.append(h('h2', {}, 'Metrics'), metricsBox);
  metricsPanel(ctx, id, metricsBox);

  // Live: the API's long poll answers when the run ends or after a second.
  (async () => {
    let status = run.status;
    let seen = attemptsKey(run.stages);
    while (ctx.alive() && !isTerminal(status) && status !== 'interrupted') {
      try {
        const s = await api.get(`/api/v1/runs/${id}${q({ view: 'summary', after_attempt: 0, wait_ms: 1000 })}`);
        if (!ctx.alive()) return;
        status = s.status;
        statusEl.replaceChildren(badge(s.status));
        graph = stageGraph(defStages, s.stages, id);
        updateStatuses(graphBox, graph);
        out.querySelector('.run-duration').textContent = formatDuration(spanOf(s));
        // The attempts table is read again only when an attempt started or changed status.
        const key = attemptsKey(s.stages);
        if (key !== seen && !isTerminal(status)) {
          seen = key;
          const full = await api.get(`/api/v1/runs/${id}`);
          if (!ctx.alive()) return;
          attemptsBox.replaceChildren(attemptsTable(full, id));
        }
        if (isTerminal(status)) {
          const full = await api.get(`/api/v1/runs/${id}`);
          if (!ctx.alive()) return;
          attemptsBox.replaceChildren(attemptsTable(full, id));
          out.querySelector('.run-duration').textContent = formatDuration(spanOf(full));
          clear(metricsBox);
          metricsPanel(ctx, id, metricsBox);
        }
      } catch (e) {
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  })();
  return out;
}

function attemptsKey(stages) {
  return (stages || []).map((a) => `${a.id}:${a.status}`).join(',');
}

function attemptsTable(run, id) {
  const rows = (run.stages || []).map((a) => h('tr', { 'data-stage': a.stage, 'data-attempt': a.attempt },
    h('td', {}, link(`#/runs/${id}?stage=${enc(a.stage)}`, a.stage)),
    h('td', {}, String(a.attempt)),
    h('td', {}, badge(a.status, a.cache_hit)),
    h('td', {}, a.plugin ? `${a.plugin.name} ${a.plugin.version}` : ''),
    h('td', {}, formatDuration(spanOf(a))),
    h('td', { class: 'error' }, a.error || '')));
  if (!rows.length) return h('p', {}, run.results_run_id ? 'Up to date: no stage ran.' : 'No stage has started yet.');
  return h('table', {},
    h('thead', {}, h('tr', {}, ['stage', 'attempt', 'status', 'plugin', 'duration', 'error'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}

function stagePanel(ctx, run, stage, box) {
  const latest = latestAttempts(run.stages).get(stage);
  box.append(h('h2', { id: 'h-stage' }, `Stage ${stage}`));
  if (latest) {
    const params = Object.entries(flattenParams(latest.params || {}));
    box.append(h('h3', {}, 'Params'), params.length
      ? h('table', { class: 'params' }, h('tbody', {}, params.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, formatValue(v))))))
      : h('p', {}, 'No params.'));
  }
  const pre = h('pre', { class: 'log', tabindex: 0, 'aria-label': `log of stage ${stage}` });
  const follow = h('input', { type: 'checkbox', id: 'log-follow', checked: true });
  const search = h('input', { type: 'search', id: 'log-search', placeholder: 'filter lines' });
  const state = h('span', { class: 'log-state', role: 'status' });
  let text = '';
  const show = () => {
    const term = search.value;
    const lines = term ? text.split('\n').filter((l) => l.includes(term)) : text.split('\n');
    pre.textContent = lines.join('\n');
    if (follow.checked) pre.scrollTop = pre.scrollHeight;
  };
  search.addEventListener('input', show);
  box.append(h('h3', {}, 'Log'),
    h('div', { class: 'log-tools' }, h('label', { for: 'log-follow' }, follow, ' follow'),
      h('label', { for: 'log-search' }, 'Search '), search, state), pre);
  (async () => {
    let offset = 0;
    let waits = 0;
    for (;;) {
      if (!ctx.alive()) return;
      let status = '';
      try {
        const r = await api.text(`/api/v1/runs/${run.id}/logs/${enc(stage)}${q({ offset })}`);
        text += r.text;
        offset = Number(r.headers.get('X-Log-Offset')) || offset;
        status = r.headers.get('X-Attempt-Status') || '';
        state.textContent = `attempt ${r.headers.get('X-Attempt')} · ${status}`;
        show();
      } catch (e) {
        state.replaceChildren(errorBox(e));
        // 404: the stage has no attempt yet; it may get one while the run goes
        // on (asked for up to ten minutes).
        if (e.status !== 404 || isTerminal(run.status) || ++waits > 600) return;
        await new Promise((res) => setTimeout(res, 1000));
        continue;
      }
      if (status !== 'running' && status !== 'queued' || !follow.checked) {
        if (status === 'running' && !follow.checked) {
          await new Promise((res) => follow.addEventListener('change', res, { once: true }));
          continue;
        }
        return;
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
}

async function metricsPanel(ctx, id, box) {
  let list;
  try { list = await api.get(`/api/v1/runs/${id}/metrics`); } catch (e) { box.append(errorBox(e)); return; }
  const keys = [...new Set(list.series.filter((s) => s.total_points > 1).map((s) => s.key))].sort();
  const finals = list.series.filter((s) => s.total_points === 1);
  if (finals.length) {
    box.append(h('table', { class: 'final-metrics' },
      h('thead', {}, h('tr', {}, ['stage', 'attempt', 'metric', 'value'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, finals.map((s) => h('tr', {}, h('td', {}, s.stage), h('td', {}, String(s.attempt)), h('td', {}, s.key), h('td', {}, formatValue(s.last)))))));
  }
  if (!keys.length) return;
  const chosen = new Set(keys.filter((k) => DEFAULT_KEYS.includes(k)));
  if (!chosen.size) chosen.add(keys[0]);
  const chartBox = h('div', { class: 'chart-box' });
  const draw = async () => {
    const answers = await Promise.all([...chosen].map((k) => api.get(`/api/v1/runs/${id}/metrics${q({ key: k })}`)));
    if (!ctx.alive()) return;
    const series = answers.flatMap((a) => a.series.map((s) => ({ label: `${s.stage}#${s.attempt} ${s.key}`, points: s.points })));
    chartBox.replaceChildren(renderChart(series, { title: `run #${id}: ${[...chosen].join(', ')} per step` }));
  };
  box.append(h('fieldset', { class: 'keys' }, h('legend', {}, 'Curves'),
    keys.map((k) => h('label', {}, h('input', {
      type: 'checkbox', value: k, checked: chosen.has(k), 'data-key': k,
      onchange: (e) => { if (e.target.checked) chosen.add(k); else chosen.delete(k); draw(); },
    }), ` ${k}`))), chartBox);
  await draw();
}
