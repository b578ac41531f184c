// Trend charts as inline SVG: no chart library, nothing fetched.
import { h, num, pct, s } from './dom.js';

/** [ms, disk, memory, cpu, dns, firewall] → the column of each signal. */
export const SIGNALS = [
  { key: 'disk_usage', column: 1, label: 'Disk', unit: '%' },
  { key: 'memory_usage', column: 2, label: 'Memory', unit: '%' },
  { key: 'cpu_usage', column: 3, label: 'CPU', unit: '%' },
  { key: 'dns_latency_ms', column: 4, label: 'DNS', unit: ' ms' },
];

/** A signal's natural scale, so that a flat 90% reads high: 0–100, or up to twice the threshold for latency. */
export function scaleMax(signal, values, threshold) {
  return signal.key === 'dns_latency_ms' ? Math.max(threshold * 2 || 500, ...values) : 100;
}

function points(values, width, height, max) {
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (Math.min(v, max) / max) * height).toFixed(1)}`)
    .join(' ');
}

/** The small chart in a table cell. */
export function sparkline(signal, history, threshold) {
  const values = history.map((p) => p[signal.column] ?? 0);
  const width = 64;
  const height = 18;
  const svg = s('svg', { class: 'spark', viewBox: `0 0 ${width} ${height}`, width, height, 'aria-hidden': 'true' });
  if (values.length < 2) return svg;
  const max = scaleMax(signal, values, threshold);
  const y = height - (Math.min(threshold, max) / max) * height;
  svg.append(
    s('line', { class: 'threshold', x1: 0, x2: width, y1: y, y2: y }),
    s('polyline', {
      class: values.at(-1) > threshold ? 'line over' : 'line',
      points: points(values, width, height, max),
    }),
  );
  return svg;
}

/** A host page chart: one signal over its history, with its threshold and axes. */
export function historyChart(signal, history, threshold) {
  const values = history.map((p) => p[signal.column] ?? 0);
  const width = 560;
  const height = 150;
  const pad = { left: 40, right: 8, top: 10, bottom: 22 };
  const w = width - pad.left - pad.right;
  const ht = height - pad.top - pad.bottom;
  const max = scaleMax(signal, values, threshold);
  const svg = s('svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${signal.label} history`,
  });
  const g = s('g', { transform: `translate(${pad.left},${pad.top})` });
  svg.append(g);
  for (const f of [0, 0.5, 1]) {
    const y = ht - f * ht;
    g.append(
      s('line', { class: 'grid', x1: 0, x2: w, y1: y, y2: y }),
      s('text', { class: 'axis', x: -6, y: y + 4, 'text-anchor': 'end' }, num(f * max)),
    );
  }
  const ty = ht - (Math.min(threshold, max) / max) * ht;
  g.append(
    s('line', { class: 'threshold', x1: 0, x2: w, y1: ty, y2: ty }),
    s(
      'text',
      { class: 'axis threshold-label', x: w, y: ty - 4, 'text-anchor': 'end' },
      `threshold ${num(threshold)}${signal.unit}`,
    ),
  );
  if (values.length > 1) {
    const line = points(values, w, ht, max);
    g.append(
      s('polygon', { class: 'area', points: `0,${ht} ${line} ${w},${ht}` }),
      s('polyline', { class: 'line', points: line }),
    );
    const first = new Date(history[0][0]);
    const last = new Date(history.at(-1)[0]);
    const fmt = (d) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    g.append(
      s('text', { class: 'axis', x: 0, y: ht + 16 }, fmt(first)),
      s('text', { class: 'axis', x: w, y: ht + 16, 'text-anchor': 'end' }, fmt(last)),
    );
  }
  const latest = values.at(-1);
  return h(
    'figure',
    { class: 'chart-box' },
    h(
      'figcaption',
      null,
      signal.label,
      h(
        'span',
        { class: latest > threshold ? 'value over' : 'value' },
        latest === undefined ? '—' : `${num(latest)}${signal.unit}`,
      ),
    ),
    svg,
  );
}

/** [no action, auto-heal, human] as one stacked bar. */
export function probabilityBar(probabilities) {
  const names = ['no action', 'auto-heal', 'human'];
  const bar = h('div', { class: 'prob-bar', role: 'img', 'aria-label': 'model probabilities' });
  const legend = h('div', { class: 'prob-legend' });
  probabilities.forEach((p, i) => {
    const seg = h('span', { class: `seg seg-${i}` });
    seg.style.width = `${Math.max(0, Math.min(1, p)) * 100}%`;
    bar.append(seg);
    legend.append(h('span', { class: `key key-${i}` }, `${names[i]} ${pct(p)}`));
  });
  return h('div', { class: 'probs' }, bar, legend);
}
