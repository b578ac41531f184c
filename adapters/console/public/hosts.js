// The hosts table and a host's own page.
import { api } from './api.js';
import { historyChart, sparkline, SIGNALS } from './charts.js';
import { ago, clear, clock, h, num, pct, serverNow } from './dom.js';

const RANK = { HITL_REQUIRED: 0, AUTO_HEAL: 1, NO_ACTION: 2 };
const DECISION_LABEL = { HITL_REQUIRED: 'Human needed', AUTO_HEAL: 'Auto-heal', NO_ACTION: 'Healthy' };

export function decisionChip(decision) {
  const d = decision?.decision;
  return h(
    'span',
    { class: `chip decision-${d ?? 'none'}`, title: decision?.rule ?? '' },
    DECISION_LABEL[d] ?? 'no decision',
  );
}

export function agentChip(agent) {
  if (!agent) return h('span', { class: 'chip agent-none' }, 'no agent');
  const age = serverNow() - Date.parse(agent.last_seen);
  return agent.alive
    ? h(
        'span',
        { class: 'chip agent-alive', title: `agent ${agent.version ?? ''}, last heartbeat ${ago(age)}` },
        'alive',
      )
    : h('span', { class: 'chip agent-silent', title: `last heartbeat ${agent.last_seen}` }, `silent ${ago(age)}`);
}

function metricCell(row, sig, thresholds) {
  const v = row.snapshot?.[sig.key];
  if (v === undefined) return h('td', { class: 'metric-cell' }, '—');
  const t = thresholds[sig.key];
  return h(
    'td',
    { class: v > t ? 'metric-cell over' : 'metric-cell' },
    h('span', { class: 'value' }, `${num(v)}${sig.unit}`),
    sparkline(sig, row.history, t),
  );
}

/** Rows in order of urgency: who needs a human first, then auto-heals, then the healthy, by name. */
export function sortRows(rows) {
  return [...rows].sort(
    (a, b) =>
      (RANK[a.decision?.decision] ?? 3) - (RANK[b.decision?.decision] ?? 3) ||
      b.open_incidents - a.open_incidents ||
      a.host.localeCompare(b.host),
  );
}

function hostRow(row, thresholds) {
  return h(
    'tr',
    { dataset: { host: row.host }, class: `row-${row.decision?.decision ?? 'none'}` },
    h('td', { class: 'host' }, h('a', { href: `#/host/${encodeURIComponent(row.host)}` }, row.host)),
    h('td', null, decisionChip(row.decision)),
    SIGNALS.map((sig) => metricCell(row, sig, thresholds)),
    h('td', { class: row.open_incidents > 0 ? 'num incidents open' : 'num incidents' }, String(row.open_incidents)),
    h('td', null, agentChip(row.agent)),
    h('td', { class: 'small', title: row.last_seen }, ago(serverNow() - Date.parse(row.last_seen))),
  );
}

/**
 * Draws the table in urgency order. With `changed` (host names), only those
 * rows are redrawn when the order stays the same: a fleet's table is not
 * rebuilt every time one host reports.
 */
export function renderHostsTable(tbody, rows, thresholds, changed) {
  const sorted = sortRows(rows);
  const shown = [...tbody.querySelectorAll('tr[data-host]')];
  if (changed && shown.length === sorted.length && shown.every((tr, i) => tr.dataset.host === sorted[i].host)) {
    sorted.forEach((row, i) => {
      if (changed.has(row.host)) shown[i].replaceWith(hostRow(row, thresholds));
    });
    return;
  }
  clear(tbody);
  if (rows.length === 0) {
    tbody.append(
      h(
        'tr',
        null,
        h('td', { colspan: 9, class: 'empty' }, 'No hosts yet: post a snapshot to /v1/metrics or start an agent.'),
      ),
    );
    return;
  }
  tbody.append(...sorted.map((row) => hostRow(row, thresholds)));
}

/** The day's downsampled points up to where the recent full-resolution ones begin, then those. */
function longHistory(detail) {
  const recent = detail.history ?? [];
  const since = recent[0]?.[0] ?? Infinity;
  return [...(detail.day ?? []).filter((p) => p[0] < since), ...recent];
}

/** What happened to this host in the last day, newest first: incidents, approvals, actions and their results. */
function timelinePanel(host) {
  const list = h('ol', { class: 'timeline' }, h('li', { class: 'small' }, 'Loading…'));
  const panel = h('section', { class: 'panel' }, h('h2', null, 'Incidents and actions, last 24h'), list);
  api
    .get(`/audit?window=24h&limit=500&host=${encodeURIComponent(host)}`)
    .then(({ entries, names }) => {
      // Every snapshot's decision is audited too: the timeline is what happened, not every reading.
      const shown = entries.filter((e) => e.type !== 'decision');
      clear(list).append(
        ...(shown.length === 0
          ? [h('li', { class: 'empty' }, 'Nothing happened in the last 24 hours.')]
          : shown.map((e) =>
              h(
                'li',
                { dataset: { type: e.type } },
                h('time', { class: 'small nowrap', datetime: e.ts, title: e.ts }, clock(e.ts)),
                h('span', { class: `chip type-${e.type.split('.')[0]}` }, e.type),
                h(
                  'span',
                  { class: 'what' },
                  [e.outcome ?? e.decision, e.actor ? `by ${names?.[e.actor] ?? e.actor}` : null, e.notes]
                    .filter(Boolean)
                    .join(' · '),
                ),
              ),
            )),
      );
    })
    .catch((err) => clear(list).append(h('li', { class: 'error' }, err.message)));
  return panel;
}

/** Signals another source holds over the host's reading (an alert, a firewall request), with the reading beside it. */
function sourceList(sources) {
  if (!sources) return null;
  const lines = SIGNALS.flatMap((sig) => {
    const view = sources[sig.key];
    const kind = view?.source?.kind;
    if (kind !== 'alert' && kind !== 'firewall') return [];
    const from =
      kind === 'alert' ? `alert ${view.source.alertname} (firing since ${view.source.since})` : 'a firewall request';
    const beside = view.reading ? `; the ${view.reading.source} reads ${num(view.reading.value)}${sig.unit}` : '';
    return [h('li', { class: 'source' }, `${sig.label} ${num(view.value)}${sig.unit} from ${from}${beside}`)];
  });
  return lines.length > 0 ? h('ul', { class: 'lines sources' }, lines) : null;
}

/** A host's page: decision banner, a chart per signal over the last day, its timeline, open incidents, and /diagnose. */
export async function renderHostPage(root, host, state, runCommand) {
  clear(root).append(h('p', { class: 'small' }, `Loading ${host}…`));
  let detail;
  try {
    detail = await api.get(`/hosts/${encodeURIComponent(host)}`);
  } catch (err) {
    clear(root).append(h('p', { class: 'error' }, err.message), h('a', { href: '#/' }, '← Back to overview'));
    return;
  }
  const d = detail.decision;
  const tone = d?.decision === 'HITL_REQUIRED' ? 'danger' : d?.decision === 'AUTO_HEAL' ? 'warning' : 'ok';
  clear(root).append(
    h('a', { href: '#/', class: 'back' }, '← Overview'),
    h(
      'section',
      { class: `card tone-${tone} host-banner` },
      h(
        'div',
        { class: 'banner' },
        h('span', { class: 'badge' }, DECISION_LABEL[d?.decision] ?? 'no decision'),
        h('h3', null, host),
        agentChip(detail.agent),
      ),
      h(
        'dl',
        { class: 'fields' },
        h('div', { class: 'field' }, h('dt', null, 'Decision'), h('dd', null, d ? `${d.decision} (${d.rule})` : '—')),
        h(
          'div',
          { class: 'field' },
          h('dt', null, 'Model'),
          h('dd', null, d ? `${d.model_class} p=${pct(d.confidence)}` : '—'),
        ),
        h(
          'div',
          { class: 'field' },
          h('dt', null, 'Updated'),
          h('dd', null, `${clock(detail.updated_at)} (${ago(serverNow() - Date.parse(detail.updated_at))})`),
        ),
        h('div', { class: 'field' }, h('dt', null, 'Policy'), h('dd', null, d?.policy ?? '—')),
      ),
      d?.reasons?.length
        ? h(
            'ul',
            { class: 'lines' },
            d.reasons.map((r) => h('li', null, r)),
          )
        : null,
      sourceList(detail.sources),
      h(
        'div',
        { class: 'decide' },
        h('button', { type: 'button', onclick: () => runCommand(`/diagnose ${host}`) }, `Diagnose ${host}`),
      ),
    ),
    h(
      'div',
      { class: 'charts' },
      SIGNALS.map((sig) => historyChart(sig, longHistory(detail), state.thresholds[sig.key])),
    ),
    timelinePanel(host),
    h(
      'section',
      { class: 'panel' },
      h('h2', null, `Open incidents (${detail.incidents.length})`),
      detail.incidents.length === 0
        ? h('p', { class: 'empty' }, 'None open.')
        : h(
            'table',
            { class: 'table' },
            h(
              'thead',
              null,
              h(
                'tr',
                null,
                ['Signal', 'Value', 'Threshold', 'Opened', 'Approval'].map((t) => h('th', null, t)),
              ),
            ),
            h(
              'tbody',
              null,
              detail.incidents.map((i) =>
                h(
                  'tr',
                  null,
                  h('td', null, i.signal ?? ''),
                  h('td', { class: 'num' }, i.value ?? ''),
                  h('td', { class: 'num' }, i.threshold ?? ''),
                  h('td', null, i.opened_at ?? ''),
                  h('td', null, i.approval_id ?? '—'),
                ),
              ),
            ),
          ),
    ),
  );
}
