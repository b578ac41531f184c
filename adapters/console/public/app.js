// The console page: sign-in when the console has a token, then the live
// overview (approvals, hosts, feed, command box), host pages and the audit view.
import { api, ApiError, credentials, openFeed } from './api.js';
import { loadAudit, setupAudit } from './audit.js';
import { Cards, decideDialog, docCard } from './cards.js';
import { $, clear, h, syncClock } from './dom.js';
import { renderHostPage, renderHostsTable } from './hosts.js';

const state = {
  hosts: new Map(),
  thresholds: {},
  onPending: (n) => {
    $('#pending-count').textContent = String(n);
    $('#stat-pending').textContent = String(n);
    $('#approvals-empty').hidden = n > 0;
    document.title = n > 0 ? `(${n}) healgate console` : 'healgate console';
  },
};

function drawHosts(changed) {
  const rows = [...state.hosts.values()];
  renderHostsTable($('#hosts-body'), rows, state.thresholds, changed);
  $('#stat-hosts').textContent = String(rows.length);
  $('#stat-incidents').textContent = String(rows.reduce((n, r) => n + r.open_incidents, 0));
  $('#stat-attention').textContent = String(
    rows.filter((r) => r.decision && r.decision.decision !== 'NO_ACTION').length,
  );
}

function mergeHosts(rows, full = false) {
  for (const row of rows) state.hosts.set(row.host, row);
  const changed = new Set(rows.map((r) => r.host));
  drawHosts(full ? undefined : changed);
  state.cards?.hostsChanged(changed);
}

async function refreshHosts() {
  const { hosts, now } = await api.get('/hosts');
  // Every answer carries the bot's time: countdowns follow its clock, not this machine's.
  syncClock(now);
  state.hosts = new Map();
  mergeHosts(hosts, true);
}

async function runCommand(text) {
  const out = $('#command-out');
  $('#command-input').value = text;
  if (location.hash.startsWith('#/host/')) location.hash = '#/';
  try {
    const answer = await api.post('/command', { text });
    out.prepend(answer.ok ? docCard(answer.doc, text.split(' ')[0]) : h('p', { class: 'usage' }, answer.message));
  } catch (err) {
    out.prepend(h('p', { class: 'error' }, err.message));
  }
  while (out.children.length > 5) out.lastElementChild.remove();
}

function route() {
  const hash = location.hash || '#/';
  const host = /^#\/host\/(.+)$/.exec(hash);
  $('#overview').hidden = hash !== '#/';
  $('#host-view').hidden = !host;
  $('#audit-view').hidden = hash !== '#/audit';
  for (const a of document.querySelectorAll('[data-nav]'))
    a.classList.toggle('active', a.getAttribute('href') === (host ? '#/' : hash));
  if (host) void renderHostPage($('#host-view'), decodeURIComponent(host[1]), state, runCommand);
  if (hash === '#/audit') void loadAudit();
}

function showSignIn(message) {
  $('#app').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = message ?? '';
  $('#signin-form').elements.token.focus();
}

async function start() {
  let session;
  try {
    session = await api.get('/session');
  } catch (err) {
    // Signed in at the OpenID provider, not here: off to its login, and back with a session.
    if (err instanceof ApiError && err.status === 401 && err.body?.mode === 'oidc') {
      window.location.assign('/console/oidc/login');
      return;
    }
    if (err instanceof ApiError && (err.status === 401 || err.status === 400) && err.body?.mode === 'token') {
      const had = credentials.get().token;
      credentials.clear();
      return showSignIn(had ? err.message : '');
    }
    clear($('#fatal')).append(h('p', { class: 'error' }, `The console cannot start: ${err.message}`));
    return;
  }
  state.started = true;
  $('#signin').hidden = true;
  $('#app').hidden = false;
  syncClock(session.now);
  state.thresholds = session.thresholds;
  const how = {
    local: ' · local operator',
    'shared-token': ' · shared token (name not verified)',
    proxy: ' · signed in',
    oidc: ' · signed in',
  };
  $('#who').textContent = `${session.principal.id}${how[session.principal.auth] ?? ''}`;
  $('#who').title =
    session.principal.local_operator && session.local_operator_approves
      ? 'The policy lets the local console operator approve'
      : 'Approves only if listed as an approver in the policy or APPROVERS';
  $('#mode').textContent = session.execution_mode === 'live' ? 'LIVE' : 'DRY-RUN';
  $('#mode').className = `badge exec-${session.execution_mode}`;
  $('#mode').hidden = false;
  $('#live').hidden = false;
  state.signedIn = session.principal.auth === 'oidc';
  $('#signout').hidden = session.mode !== 'token' && !state.signedIn;
  setupAudit(session.audit_types);

  const cards = new Cards({
    approvals: $('#approvals'),
    feed: $('#feed'),
    state,
    onDecide: (item, verdict) => decide(item, verdict),
  });
  const decide = decideDialog((item) => cards.apply(item));
  state.cards = cards;
  await refreshHosts();
  state.onPending(0);
  openFeed(
    (event, data) => {
      if (event === 'item') cards.apply(data);
      else if (event === 'hosts') mergeHosts(data);
      else if (event === 'ready') syncClock(data.at);
      else if (event === 'unauthorized') showSignIn(data?.error);
    },
    (connected) => {
      const live = $('#live');
      live.textContent = connected ? 'live' : 'reconnecting…';
      live.className = connected ? 'live on' : 'live off';
      if (connected) void refreshHosts().catch(() => {});
    },
  );
  // Ages and agent liveness move on even when nothing is posted.
  setInterval(() => void refreshHosts().catch(() => {}), 30_000);
  window.addEventListener('hashchange', route);
  route();
}

$('#signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  credentials.set(form.elements.token.value, form.elements.name.value.trim());
  // Signed out mid-session (the token changed): start again from a clean page.
  if (state.started) location.reload();
  else void start();
});
$('#signout').addEventListener('click', () => {
  credentials.clear();
  if (state.signedIn) window.location.assign('/console/oidc/logout');
  else location.reload();
});
$('#command-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('#command-input').value.trim();
  if (text) void runCommand(text);
});

void start();
