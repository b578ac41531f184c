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

const MINUTE = 60_000;
const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE);

/**
 * Time-axis ticks on round steps, at most `max` of them, each label
 * distinct: "14:30" within a day, "Dec 4 14:30" across days.
 */
export function timeTicks(from, to, max = 5) {
  const span = Math.max(to - from, MINUTE);
  const step = TICK_STEPS.find((st) => span / st <= max) ?? TICK_STEPS.at(-1);
  const offset = new Date(from).getTimezoneOffset() * MINUTE;
  const days = new Date(from).toDateString() !== new Date(to).toDateString();
  const label = (t) => {
    const d = new Date(t);
    const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return days ? `${d.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}` : time;
  };
  const ticks = [];
  for (let t = Math.ceil((from - offset) / step) * step + offset; t <= to; t += step) {
    const text = label(t);
    if (ticks.at(-1)?.text !== text) ticks.push({ t, text });
  }
  // A span shorter than one step: its ends, once each.
  if (ticks.length === 0)
    for (const t of [from, to]) if (ticks.at(-1)?.text !== label(t)) ticks.push({ t, text: label(t) });
  return ticks;
}

/** A host page chart: one signal over time (x by time, not by sample), with its threshold and axes. */
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
    const from = history[0][0];
    const to = history.at(-1)[0];
    const x = (t) => (to > from ? ((t - from) / (to - from)) * w : 0);
    const y = (v) => ht - (Math.min(v, max) / max) * ht;
    const line = history.map((p, i) => `${x(p[0]).toFixed(1)},${y(values[i]).toFixed(1)}`).join(' ');
    g.append(
      s('polygon', { class: 'area', points: `0,${ht} ${line} ${w},${ht}` }),
      s('polyline', { class: 'line', points: line }),
    );
    const ticks = timeTicks(from, to, 4);
    for (const tick of ticks) {
      const at = x(tick.t);
      const anchor = at < 30 ? 'start' : at > w - 30 ? 'end' : 'middle';
      g.append(
        s('line', { class: 'tick', x1: at, x2: at, y1: ht, y2: ht + 4 }),
        s('text', { class: 'axis time', x: at, y: ht + 16, 'text-anchor': anchor }, tick.text),
      );
    }
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
