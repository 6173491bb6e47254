// Charts with uPlot (vendored, docs/adr/0024): a time series and a bar
// chart over categories. Each chart is a <figure> whose dataset says how
// many points it draws, with the figures also as a table for reading.
import uPlot from '../vendor/uplot/uPlot.esm.js';
import { h } from './dom.js';

const palette = ['#1f5f8b', '#d1742c', '#2f8a4c', '#8c3fa0', '#b3261e', '#5d6b78', '#c49a00', '#0b8a8a'];

function width(el) {
  return Math.max(320, Math.floor(el.getBoundingClientRect().width || 560) - 8);
}

function figure(title, points) {
  return h('figure', { class: 'chart', dataset: { points: String(points) } }, h('figcaption', {}, title));
}

// fit keeps a chart as wide as its figure: it is drawn before the figure
// is on the page, at a default width, and resized once it is there.
function fit(fig, plot) {
  new ResizeObserver(() => {
    if (fig.isConnected) plot.setSize({ width: width(fig), height: plot.height });
  }).observe(fig);
}

// timeChart draws one line per series over times (seconds since the
// epoch): series are [{label, values}] aligned with times. A single
// instant is shown with pad seconds either side.
export function timeChart(title, times, series, { height = 240, pad = 86400 } = {}) {
  const fig = figure(title, times.length * series.length);
  const opts = {
    width: 560, height,
    scales: { x: times.length === 1 ? { time: true, auto: false, range: () => [times[0] - pad, times[0] + pad] } : { time: true } },
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: times.length < 40 } }))],
    axes: [{}, { size: 60 }],
  };
  fit(fig, new uPlot(opts, [times, ...series.map(s => s.values)], fig));
  return fig;
}

// barChart draws bars per category: labels name the categories, series
// are [{label, values}] aligned with them (several series stand side by
// side).
export function barChart(title, labels, series, { height = 240 } = {}) {
  const fig = figure(title, labels.length * series.length);
  const xs = labels.map((_, i) => i);
  const n = series.length;
  // One series: a bar centred on its category; two: side by side (the
  // first ends at the category, the second starts there).
  const bars = i => uPlot.paths.bars({ size: [n === 1 ? 0.6 : 0.4, 80], align: n === 2 ? (i === 0 ? -1 : 1) : 0 });
  const opts = {
    width: 560, height,
    scales: { x: { time: false, range: [-0.5, Math.max(labels.length - 0.5, 0.5)] } },
    series: [
      { label: 'category', value: (u, v) => (v === null ? '' : labels[v] ?? '') },
      ...series.map((s, i) => ({ label: s.label, stroke: palette[i % palette.length], fill: palette[i % palette.length] + 'cc', paths: bars(i), points: { show: false } })),
    ],
    axes: [
      { splits: () => xs, values: (u, splits) => splits.map(v => truncate(labels[v] ?? '', 18)), gap: 4 },
      { size: 60 },
    ],
  };
  fit(fig, new uPlot(opts, [xs, ...series.map(s => s.values)], fig));
  return fig;
}

function truncate(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

// table renders an answer's columns and rows as they are.
export function table(columns, rows) {
  return h('details', { class: 'figures' }, h('summary', {}, `the figures (${rows.length} rows)`),
    h('table', {}, h('thead', {}, h('tr', {}, ...columns.map(c => h('th', {}, c)))),
      h('tbody', {}, ...rows.map(r => h('tr', {}, ...r.map(v => h('td', {}, v === null ? '' : String(v))))))));
}
