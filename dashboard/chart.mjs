// Metric curves with uPlot: several series (one per run/stage/key) over
// the step axis. The points drawn are also listed in a visually hidden
// table (for screen readers, and what the browser tests read); above
// TABLE_POINTS points the table lists each series' size and last value
// instead, so that a large chart does not make a large page.
import { h } from './dom.mjs';
import { formatValue } from './format.mjs';

export const TABLE_POINTS = 5000;

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

// Joins series of [step, last, min, max] points onto one step axis.
export function alignSeries(series) {
  const steps = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const index = new Map(steps.map((s, i) => [s, i]));
  const ys = series.map((s) => {
    const y = new Array(steps.length).fill(null);
    for (const p of s.points) y[index.get(p[0])] = p[1];
    return y;
  });
  return [steps, ...ys];
}

export function renderChart(series, { title, width = 720, height = 260 } = {}) {
  const box = h('figure', { class: 'chart', 'aria-label': title || 'metric chart' });
  box.append(h('figcaption', {}, title || ''));
  const data = alignSeries(series);
  const total = series.reduce((n, s) => n + s.points.length, 0);
  const tbl = total <= TABLE_POINTS
    ? h('table', { class: 'sr-only chart-data' },
      h('caption', {}, `${title || 'chart'}: data points`),
      h('thead', {}, h('tr', {}, h('th', {}, 'series'), h('th', {}, 'step'), h('th', {}, 'value'))),
      h('tbody', {}, series.flatMap((s) => s.points.map((p) =>
        h('tr', { 'data-series': s.label }, h('td', {}, s.label), h('td', {}, String(p[0])), h('td', {}, formatValue(p[1])))))))
    : h('table', { class: 'sr-only chart-summary' },
      h('caption', {}, `${title || 'chart'}: ${series.length} series, ${total} points`),
      h('thead', {}, h('tr', {}, h('th', {}, 'series'), h('th', {}, 'points'), h('th', {}, 'last value'))),
      h('tbody', {}, series.map((s) => h('tr', { 'data-series': s.label }, h('td', {}, s.label),
        h('td', {}, String(s.points.length)), h('td', {}, s.points.length ? formatValue(s.points[s.points.length - 1][1]) : '')))));
  if (window.uPlot) {
    const plotEl = h('div', { class: 'plot' });
    box.append(plotEl);
    const opts = {
      width, height,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, {}],
      series: [{ label: 'step' }, ...series.map((s, i) => ({
        label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true, dash: i >= COLOURS.length ? [6, 3] : undefined,
      }))],
    };
    box.chart = new window.uPlot(opts, data, plotEl);
  } else {
    box.append(h('p', { class: 'notice' }, 'The chart library is not installed; the points are listed below.'));
    tbl.classList.remove('sr-only');
  }
  box.append(tbl);
  return box;
}
