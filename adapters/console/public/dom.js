// DOM helpers. Everything that comes from data is put in the page as text
// (text nodes, textContent, setAttribute): never as markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  return el;
}

/** An HTML element: `h('td', { class: 'num' }, '91.5%')`. */
export function h(tag, props, ...children) {
  return append(setProps(document.createElement(tag), props), children);
}

/** An SVG element, same shape as h(). */
export function s(tag, props, ...children) {
  return append(setProps(document.createElementNS(SVG_NS, tag), props), children);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);

let skew = 0;
/** Countdowns and ages run on the bot's clock, whatever this machine's says. */
export function syncClock(serverIso) {
  const server = Date.parse(serverIso);
  if (Number.isFinite(server)) skew = server - Date.now();
}
export const serverNow = () => Date.now() + skew;

/** "12s ago", "in 4m 05s". */
export function ago(ms) {
  const abs = Math.abs(ms);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)}s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)}m`
        : abs < 172_800_000
          ? `${Math.floor(abs / 3_600_000)}h`
          : `${Math.floor(abs / 86_400_000)}d`;
  return ms >= 0 ? `${text} ago` : `in ${text}`;
}

export function countdown(ms) {
  if (ms <= 0) return 'expiring…';
  const total = Math.floor(ms / 1000);
  const m = Math.floor(total / 60);
  const sec = String(total % 60).padStart(2, '0');
  return m >= 60 ? `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m` : `${m}m ${sec}s`;
}

export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? ''
    : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function num(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** As the chat documents say it: never a rounded "100%" or "0%" for what is not certain. */
export function pct(p) {
  if (p < 1 && p >= 0.9995) return '> 99.9%';
  if (p > 0 && p < 0.0005) return '< 0.1%';
  return `${(p * 100).toFixed((p >= 0.995 && p < 1) || (p > 0 && p < 0.005) ? 1 : 0)}%`;
}
