// MessageDocs (the same facts every chat shows) drawn as cards.
import { api, ApiError } from './api.js';
import { probabilityBar, sparkline, SIGNALS } from './charts.js';
import { $, ago, clear, clock, countdown, h, num, s, serverNow } from './dom.js';

const STATUS_BADGE = { pending: 'Approval needed', approved: 'Approved', rejected: 'Rejected', expired: 'Expired' };
const TYPE_BADGE = {
  'incident.opened': (doc) => (doc.tone === 'warning' ? 'Auto-heal' : 'Needs a human'),
  'breaker.tripped': () => 'Breaker',
  'agent.silent': () => 'Agent silent',
  'action.result': () => 'Result',
  'incident.resolved': () => 'Resolved',
  'group.updated': () => 'Storm',
};

const MEMBER_STATE = {
  healing: 'auto-healing',
  noticed: 'needs a human',
  held: 'waiting',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  healed: 'done',
  failed: 'failed',
  unknown: 'unknown',
  withdrawn: 'withdrawn',
  resolved: 'resolved',
};

/** A storm's hosts as they stand, each with its trend of the group's signal. */
function memberList(group, state) {
  const sig = SIGNALS.find((x) => x.key === group.signal);
  return h(
    'details',
    { class: 'members', open: group.members.length <= 12 },
    h('summary', null, `${group.members.length} hosts`),
    h(
      'ul',
      null,
      group.members.map((m) => {
        const row = state.hosts.get(m.host);
        return h(
          'li',
          { class: `member state-${m.state}` },
          h('strong', null, m.host),
          h('span', { class: 'small' }, ` ${MEMBER_STATE[m.state] ?? m.state}${m.held_by ? ` (${m.held_by})` : ''} `),
          sig && m.value !== null ? `${num(m.value)}${sig.unit} ` : null,
          sig && row ? sparkline(sig, row.history, state.thresholds[sig.key]) : null,
        );
      }),
    ),
  );
}

function badgeOf(item) {
  if (item.approval) return STATUS_BADGE[item.approval.status] ?? item.approval.status;
  return TYPE_BADGE[item.type]?.(item.doc) ?? item.doc.tone;
}

const BARS = '▁▂▃▄▅▆▇█';
const TRAILING_BARS = new RegExp(`^(.*?)\\s*([${BARS}]{2,})$`, 's');

/** The documents' text trends ("▁▂▅█", for chat) drawn as a small bar chart. */
function barChart(bars) {
  const width = 3;
  const svg = s('svg', {
    class: 'bars',
    viewBox: `0 0 ${bars.length * width} 16`,
    width: bars.length * width,
    height: 16,
  });
  svg.append(s('title', null, 'recent trend'));
  [...bars].forEach((c, i) => {
    const level = (BARS.indexOf(c) + 1) / BARS.length;
    svg.append(s('rect', { x: i * width, y: 16 - level * 16, width: width - 1, height: level * 16 }));
  });
  return svg;
}

/** "Dec 4, 14:02" in this browser's time zone. */
function localMoment(iso) {
  return new Date(iso).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** A person: the name the bot knows (resolved once on the server), else the id. */
function person(who) {
  const id = `${who.platform}:${who.userId}`;
  return h('span', { class: 'person', title: id }, who.displayName ?? id);
}

/** A moment; a relative one also counts ("in 12m", "3m ago") on the bot's clock, see tick(). */
function moment({ at, relative }) {
  return h(
    'time',
    { datetime: at, title: at },
    localMoment(at),
    relative ? [' (', h('span', { class: 'relative', dataset: { at } }, ago(serverNow() - Date.parse(at))), ')'] : null,
  );
}

/** A doc's text with its marks (people, moments), as page nodes. */
function rich(value) {
  if (typeof value === 'string') return [value];
  return value.map((part) => (typeof part === 'string' ? part : 'at' in part ? moment(part) : person(part.who)));
}

const RUNNING = "running: queued for the host's agent";

/** "Running" on a host whose agent never reported would wait for ever: say so. */
function resultText(value, row) {
  return value === RUNNING && row && !row.agent
    ? `${RUNNING} — no agent has reported from this host: nothing runs until one does`
    : value;
}

function fieldValue(value) {
  const m = typeof value === 'string' ? TRAILING_BARS.exec(value) : null;
  return m ? [m[1], ' ', barChart(m[2])] : rich(value);
}

function fields(doc, skip) {
  return h(
    'dl',
    { class: 'fields' },
    doc.fields
      .filter((f) => !skip.has(f.label))
      .map((f) => h('div', { class: 'field' }, h('dt', null, f.label), h('dd', null, fieldValue(f.value)))),
  );
}

/** The body of any document: fields, lines and footer. */
export function docBody(doc, skip = new Set()) {
  return [
    doc.fields.length > 0 ? fields(doc, skip) : null,
    doc.lines.length > 0
      ? h(
          'ul',
          { class: 'lines' },
          doc.lines.map((l) => h('li', null, rich(l))),
        )
      : null,
    doc.footer ? h('footer', { class: 'small' }, doc.footer) : null,
  ];
}

/** A standalone document (command answers, audit summary, verify result). */
export function docCard(doc, badge) {
  return h(
    'article',
    { class: `card tone-${doc.tone}` },
    h('div', { class: 'banner' }, h('span', { class: 'badge' }, badge ?? doc.tone), h('h3', null, doc.title)),
    docBody(doc),
  );
}

/** The host's metrics right now, from the hosts table the page keeps. */
function metricsNow(row, thresholds) {
  if (!row?.snapshot) return null;
  return h(
    'div',
    { class: 'metrics-now' },
    h('span', { class: 'small' }, 'Now on host'),
    SIGNALS.map((sig) => {
      const v = row.snapshot[sig.key];
      const t = thresholds[sig.key];
      return h(
        'span',
        { class: v > t ? 'metric over' : 'metric' },
        `${sig.label} ${num(v)}${sig.unit}`,
        sparkline(sig, row.history, t),
      );
    }),
  );
}

/**
 * Cards by name, so that a decision, a result or a resolution finds the card
 * it belongs to whatever order the page learnt of them.
 */
export class Cards {
  constructor({ approvals, feed, state, onDecide }) {
    this.approvals = approvals;
    this.feed = feed;
    this.state = state;
    this.onDecide = onDecide;
    this.cards = new Map();
    setInterval(() => this.tick(), 1000);
  }

  apply(item) {
    const key = this.cards.has(item.card) ? item.card : (item.aliases.find((a) => this.cards.has(a)) ?? item.card);
    let card = this.cards.get(key);
    if (item.mode === 'reply' || item.mode === 'resolve') {
      // Its card is gone from the page (or was never on it): the reply stands alone.
      if (!card) return void this.create(item);
      card.thread.append(this.reply(item));
      if (item.outcome) this.showOutcome(card, item.outcome);
      if (item.mode === 'resolve' && !card.item.approval) {
        card.el.classList.replace(`tone-${card.item.doc.tone}`, 'tone-ok');
        card.el.classList.add('resolved');
        card.el.querySelector('.badge').textContent = 'Resolved';
      }
      return;
    }
    if (!card) card = this.create(item);
    // A post for a card already shown (a backlog replay) must not undo a later update.
    else if (item.mode === 'update') this.redraw(card, item);
    for (const alias of item.aliases) this.cards.set(alias, card);
    if (item.approval) this.countPending();
  }

  /** A result rewrites its card as chat edits its message: the Result field and the tone say how it ended. */
  showOutcome(card, { field, tone }) {
    const { doc } = card.item;
    // A card about several hosts (a digest) keeps its lines; the result is in its thread.
    if (!doc.fields.some((f) => f.label === 'Host' && f.value === card.item.host)) return;
    const fields = doc.fields.some((f) => f.label === 'Result')
      ? doc.fields.map((f) => (f.label === 'Result' ? field : f))
      : [...doc.fields, field];
    this.redraw(card, { ...card.item, doc: { ...doc, fields, tone } });
  }

  /** Approval cards show their host's metrics now: refresh just that strip (not the buttons under a pointer). */
  hostsChanged(hosts) {
    for (const card of new Set(this.cards.values())) {
      if (card.item.approval?.status !== 'pending' || !hosts.has(card.item.host)) continue;
      const strip = metricsNow(this.state.hosts.get(card.item.host), this.state.thresholds);
      const old = card.el.querySelector('.metrics-now');
      if (old && strip) old.replaceWith(strip);
      else if (strip) card.el.firstElementChild.after(strip);
    }
  }

  create(item) {
    const el = h('article', { class: 'card', dataset: { card: item.card } });
    const thread = h('div', { class: 'thread' });
    const card = { el, thread, item };
    this.cards.set(item.card, card);
    this.redraw(card, item);
    this.trim();
    return card;
  }

  /** Requests waiting for a human stay on top; once decided they join the feed, as news. */
  place(card) {
    const waiting = card.item.approval?.status === 'pending' || card.item.group?.held > 0;
    const container = waiting ? this.approvals : this.feed;
    if (card.el.parentElement !== container) container.prepend(card.el);
  }

  redraw(card, item) {
    card.item = item;
    const { doc, approval } = item;
    const pending = approval?.status === 'pending';
    card.el.className = `card tone-${doc.tone}${approval ? ` approval status-${approval.status}` : ''}`;
    if (approval) card.el.dataset.status = approval.status;
    const banner = h(
      'div',
      { class: 'banner' },
      h('span', { class: 'badge' }, badgeOf(item)),
      h('h3', null, doc.title),
      pending
        ? h(
            'span',
            { class: 'countdown', dataset: { expires: approval.expires_at } },
            countdown(Date.parse(approval.expires_at) - serverNow()),
          )
        : null,
      h('time', { class: 'small', datetime: item.at }, clock(item.at)),
    );
    // On a card the title names the host and the bar the model's view: those fields would repeat them.
    const skip = new Set(approval ? ['Host', 'Model', ...(pending ? ['Expires'] : ['Decision', 'Result'])] : []);
    const [fieldList, lines, footer] = docBody(
      {
        ...doc,
        fields: doc.fields.map((f) =>
          f.label === 'Result' ? { ...f, value: resultText(f.value, this.state.hosts.get(item.host)) } : f,
        ),
      },
      skip,
    );
    const bar = approval?.probabilities.length === 3 ? probabilityBar(approval.probabilities) : null;
    const decision = doc.fields.find((f) => f.label === 'Decision');
    const group = item.group;
    const result = doc.fields.find((f) => f.label === 'Result');
    const body = group
      ? [
          fieldList,
          lines,
          group.tally ? h('p', { class: 'tally', role: 'status' }, group.tally) : null,
          memberList(group, this.state),
          group.held > 0 ? this.buttons(item, true) : null,
          footer,
        ]
      : !approval
        ? [fieldList, lines, footer]
        : pending
          ? [
              metricsNow(this.state.hosts.get(item.host), this.state.thresholds),
              fieldList,
              lines,
              h('div', { class: 'card-bottom' }, bar, doc.decide ? this.buttons(item) : null),
              footer,
            ]
          : // A decided request folds to its verdict, so the ones still waiting stay in view.
            [
              h('p', { class: 'verdict' }, rich(decision?.value ?? '')),
              result
                ? h(
                    'p',
                    { class: `result tone-${doc.tone}` },
                    'Result: ',
                    rich(resultText(result.value, this.state.hosts.get(item.host))),
                  )
                : null,
              h('details', null, h('summary', null, 'Details'), fieldList, lines, bar, footer),
            ];
    clear(card.el).append(banner, ...body.filter(Boolean), card.thread);
    this.place(card);
  }

  buttons(item, all = false) {
    return h(
      'div',
      { class: 'decide' },
      h(
        'button',
        { class: 'approve', type: 'button', onclick: () => this.onDecide(item, 'approve') },
        all ? `Approve all (${item.group.held})…` : 'Approve…',
      ),
      h(
        'button',
        { class: 'reject', type: 'button', onclick: () => this.onDecide(item, 'reject') },
        all ? 'Reject all…' : 'Reject…',
      ),
    );
  }

  reply(item) {
    return h(
      'div',
      { class: `reply tone-${item.doc.tone}` },
      h(
        'div',
        { class: 'reply-title' },
        h('strong', null, item.doc.title),
        h('time', { class: 'small' }, clock(item.at)),
      ),
      docBody(item.doc),
    );
  }

  countPending() {
    this.state.onPending(this.approvals.children.length);
  }

  /** Keep the page light: the newest 150 feed cards (pending approvals all stay). */
  trim() {
    for (const el of [...this.feed.children].slice(150)) {
      el.remove();
      for (const [key, card] of this.cards) if (card.el === el) this.cards.delete(key);
    }
  }

  tick() {
    for (const el of document.querySelectorAll('.countdown[data-expires]')) {
      const left = Date.parse(el.dataset.expires) - serverNow();
      el.textContent = countdown(left);
      el.classList.toggle('soon', left < 5 * 60_000);
    }
    for (const el of document.querySelectorAll('.relative[data-at]'))
      el.textContent = ago(serverNow() - Date.parse(el.dataset.at));
  }
}

/** Host names as typed: separated by commas, spaces or lines. */
function hostList(text) {
  return [...new Set(text.split(/[\s,]+/).filter(Boolean))];
}

/** The Approve / Reject dialog: notes, required to reject; the server's refusal shown as it says it. */
export function decideDialog(onDecided) {
  const dialog = $('#decide-dialog');
  const notes = $('#decide-notes');
  const error = $('#decide-error');
  const confirm = $('#decide-confirm');
  const hosts = $('#decide-hosts');
  const only = $('#decide-only');
  const except = $('#decide-except');
  let current;

  $('#decide-cancel').addEventListener('click', () => dialog.close());
  $('#decide-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const { item, verdict } = current;
    const text = notes.value.trim();
    if (verdict === 'reject' && text === '') {
      error.textContent = 'A rejection needs notes: say why.';
      notes.focus();
      return;
    }
    confirm.disabled = true;
    error.textContent = '';
    try {
      const result = item.group
        ? await api.post(`/groups/${encodeURIComponent(item.group.id)}/${verdict}`, {
            notes: text,
            only: hostList(only.value),
            except: hostList(except.value),
          })
        : await api.post(`/approvals/${encodeURIComponent(item.approval.id)}/${verdict}`, { notes: text });
      dialog.close();
      if (result.item) onDecided(result.item);
    } catch (err) {
      error.textContent = err instanceof ApiError ? err.message : 'The console could not reach the bot.';
      if (err instanceof ApiError && err.body?.item) onDecided(err.body.item);
    } finally {
      confirm.disabled = false;
    }
  });

  return (item, verdict) => {
    current = { item, verdict };
    const verb = verdict === 'approve' ? 'Approve' : 'Reject';
    $('#decide-title').textContent = item.group
      ? `${verb} all ${item.group.held} waiting requests of this storm?`
      : `${verb} the request on ${item.host}?`;
    hosts.hidden = !item.group;
    only.value = '';
    except.value = '';
    $('#decide-who').textContent = `Recorded in the audit log as ${$('#who').textContent}.`;
    clear($('#decide-summary')).append(...item.doc.lines.slice(0, 6).map((l) => h('li', null, rich(l))));
    notes.value = '';
    notes.placeholder =
      verdict === 'approve' ? 'Notes for the audit log (optional)' : 'Why is this rejected? (required)';
    error.textContent = '';
    confirm.textContent = verdict === 'approve' ? 'Approve' : 'Reject';
    confirm.className = verdict;
    dialog.showModal();
    notes.focus();
  };
}
