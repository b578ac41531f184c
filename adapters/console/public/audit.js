// The audit view: the summary from the rollups, recent entries with filters, the chain check.
import { api } from './api.js';
import { docCard } from './cards.js';
import { $, clear, h } from './dom.js';

const when = (ts) =>
  new Date(ts).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });

/** "Alice (slack:U1)" where the bot knows the name the id acted under. */
const actorOf = (id, names) => (id && names[id] ? `${names[id]} (${id})` : (id ?? ''));

function entriesTable(entries, names) {
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No entries match.');
  const table = h(
    'table',
    { class: 'table audit-entries' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        ['Time', 'Type', 'Host', 'Actor', 'Outcome', 'Notes', 'Approval'].map((t) => h('th', null, t)),
      ),
    ),
    h(
      'tbody',
      null,
      entries.map((e) =>
        h(
          'tr',
          { dataset: { type: e.type } },
          h('td', { class: 'small nowrap', title: e.ts }, when(e.ts)),
          h('td', null, h('span', { class: `chip type-${e.type.split('.')[0]}` }, e.type)),
          h('td', null, e.host ?? ''),
          h('td', { class: 'actor', title: e.actor ?? '' }, actorOf(e.actor, names)),
          h('td', null, e.outcome ?? e.decision ?? ''),
          h('td', { class: 'notes' }, e.notes ?? ''),
          h('td', { class: 'small' }, e.approval_id ?? ''),
        ),
      ),
    ),
  );
  return h('div', { class: 'table-wrap' }, table);
}

export function setupAudit(types) {
  const form = $('#audit-filters');
  const select = form.elements.type;
  select.append(h('option', { value: '' }, 'any type'), ...types.map((t) => h('option', { value: t }, t)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void loadAudit();
  });
  $('#audit-verify').addEventListener('click', async () => {
    const out = clear($('#audit-verify-out'));
    out.append(h('p', { class: 'small' }, 'Walking the hash chain…'));
    try {
      const { doc } = await api.get('/audit/verify');
      clear(out).append(docCard(doc, doc.tone === 'ok' ? 'Intact' : 'Broken'));
    } catch (err) {
      clear(out).append(h('p', { class: 'error' }, err.message));
    }
  });
}

export async function loadAudit() {
  const form = $('#audit-filters');
  const query = new URLSearchParams();
  for (const name of ['window', 'host', 'type', 'limit']) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  const summary = clear($('#audit-summary'));
  const entries = clear($('#audit-entries'));
  try {
    const data = await api.get(`/audit?${query}`);
    summary.append(docCard(data.summary, 'Summary'));
    entries.append(entriesTable(data.entries, data.names ?? {}));
  } catch (err) {
    entries.append(h('p', { class: 'error' }, err.message));
  }
}
