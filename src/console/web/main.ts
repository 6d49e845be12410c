/**
 * The console page: connects to the server, keeps the session model, and draws it.
 * The Abort control is in the top bar whatever else is on screen (keys Esc and A).
 */
import { isLive } from '../model.js';
import { AlarmSound } from './audio.js';
import { Charts } from './charts.js';
import { Connection, type LinkStatus } from './connection.js';
import { byId, fill, h, setText } from './dom.js';
import { clock, MANEUVER_NAMES } from './format.js';
import { AlarmsPanel } from './panels/alarms.js';
import { NowPanel } from './panels/now.js';
import { PlanPanel } from './panels/plan.js';
import { ResultPanel } from './panels/result.js';
import { SetupPanel } from './panels/setup.js';
import { TitrationPanel } from './panels/titration.js';
import { ScreenPanel } from './panels/screen.js';
import { AfterPanel } from './panels/after.js';
import { Store } from './store.js';

const TOKEN_KEY = 'rmseq-console-token';

/** The token from the URL fragment (#token=...), kept for this tab, then removed from the address bar. */
function takeToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const store = new Store();
let token = takeToken();
const sound = new AlarmSound();

const conn = new Connection({
  url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  token: () => token,
  onHello: (withToken) => {
    store.helloHadToken = withToken;
  },
  onMessage: (m) => {
    const alarmsBefore = store.session?.alarms.length ?? 0;
    const sessionBefore = store.session?.info.id;
    store.receive(m);
    if (m.type === 'update' && store.session && store.session.info.id === sessionBefore) {
      for (const a of store.session.alarms.slice(alarmsBefore)) sound.play(a.priority);
    }
  },
  onStatus: (status, d) => {
    store.link = status;
    if (status === 'open') {
      store.everConnected = true;
      store.lostSince = null;
    } else {
      if (store.lostSince === null) store.lostSince = Date.now();
      store.abortSentAt = null;
    }
    store.retryInMs = d.retryInMs;
    store.changed();
  },
});

function control(message: Record<string, unknown>): boolean {
  return conn.control(message);
}

// ---- Abort: always visible, always one press (or one key) away.
const abortButton = byId<HTMLButtonElement>('abort');
const abortSub = byId('abort-sub');
function abort(source: string): void {
  const m = store.session;
  if (!isLive(m) || !m || !m.step.state || m.step.state === 'aborted') return;
  // Aborting already restores the baseline; in failsafe the controller keeps retrying it and a person has taken over.
  if (m.step.state.startsWith('aborting') || m.step.state.startsWith('failsafe')) return;
  if (store.controls !== true) {
    store.note('error', 'ABORT not sent: this page has no session token. Stop the maneuver on the ventilator or with Ctrl-C where rmseq console runs.');
    return;
  }
  if (!control({ type: 'abort', note: `ABORT on the console (${source})` })) {
    store.note('error', 'ABORT NOT SENT: no connection to the controller. Stop the maneuver on the ventilator, or press Ctrl-C where rmseq console runs.');
    return;
  }
  store.abortSentAt = Date.now();
  store.changed();
}
abortButton.addEventListener('click', () => abort('button'));
document.addEventListener('keydown', (ev) => {
  const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLTextAreaElement;
  if (ev.key === 'Escape' || ((ev.key === 'a' || ev.key === 'A') && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey)) {
    if (isLive(store.session)) {
      ev.preventDefault();
      abort(`key ${ev.key === 'Escape' ? 'Esc' : 'A'}`);
    }
  }
});

function renderAbort(): void {
  const m = store.session;
  const st = m?.step.state ?? '';
  const live = isLive(m);
  let sub = 'restore baseline · key Esc or A';
  let enabled = live && store.controls === true && store.link === 'open';
  if (!live) sub = 'no maneuver running';
  else if (st.startsWith('aborting') || store.abortSentAt !== null) {
    sub = 'aborting: restoring baseline';
    enabled = false;
  } else if (st.startsWith('failsafe')) {
    sub = 'FAILSAFE: set the ventilator by hand';
    enabled = false;
  } else if (st === 'completed') sub = 'return to the baseline settings · Esc or A';
  else if (store.link !== 'open') sub = 'NOT CONNECTED: use the ventilator';
  else if (store.controls !== true) sub = 'view only: needs the token';
  abortButton.disabled = !enabled;
  abortButton.classList.toggle('armed', live && enabled);
  setText(abortSub, sub);
}

// ---- Link status: a lost link is shown at once, over everything, with what still works.
const linkBanner = byId('link-banner');
const linkPill = byId('link-pill');
function renderLink(): void {
  const lost = store.link !== 'open' && (store.everConnected || (store.lostSince !== null && Date.now() - store.lostSince > 1500));
  const refused = store.refusal !== null;
  linkBanner.hidden = !lost && !refused;
  document.body.classList.toggle('offline', lost || refused);
  if (refused) {
    fill(
      linkBanner,
      h('strong', {}, '⚠ THIS PAGE WAS REFUSED BY THE CONSOLE'),
      h('span', {}, ` ${store.refusal} This page shows nothing live and cannot abort: use the console's own screen or the ventilator. `),
      h('span', { class: 'retry' }, store.link === 'open' ? '' : 'Trying again...'),
    );
  } else if (lost) {
    const since = store.lostSince !== null ? Math.round((Date.now() - store.lostSince) / 1000) : 0;
    fill(
      linkBanner,
      h('strong', {}, `⚠ CONNECTION TO THE CONTROLLER LOST ${since > 0 ? `(${since} s)` : ''}`),
      h('span', {}, ' The screen is out of date and cannot abort. The controller keeps running with its safety monitor. To stop now: use the ventilator, or Ctrl-C where rmseq console runs. '),
      h('span', { class: 'retry' }, store.link === 'connecting' ? 'Reconnecting...' : `Reconnecting in ${Math.ceil((store.retryInMs ?? 0) / 1000)} s`),
    );
  }
  const label: Record<LinkStatus, string> = { open: '● Connected', connecting: '○ Connecting...', lost: '✗ Disconnected' };
  setText(linkPill, label[store.link]);
  linkPill.className = `pill link-${store.link}`;
}

// ---- Token: view-only pages can enter it.
const tokenBar = byId('token-bar');
const tokenInput = byId<HTMLInputElement>('token-input');
const tokenError = byId('token-error');
function saveToken(): void {
  const t = tokenInput.value.trim();
  if (!t) {
    setText(tokenError, 'Paste the token first: it is printed where rmseq console runs.');
    tokenError.hidden = false;
    return;
  }
  token = t;
  sessionStorage.setItem(TOKEN_KEY, t);
  tokenInput.value = '';
  setText(tokenError, 'Checking the token...');
  tokenError.hidden = false;
  if (!conn.hello()) store.note('error', 'Not connected: the token could not be checked.');
}
byId('token-save').addEventListener('click', saveToken);
tokenInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') saveToken();
});
const controlsPill = byId('controls-pill');
function renderControls(): void {
  tokenBar.hidden = store.controls !== false;
  // A wrong token is said, where the token is entered, not left as a silent VIEW ONLY.
  if (store.controls === false && store.tokenRejected) {
    setText(tokenError, '✗ That token was not accepted: it is not this console\'s session token (each start of rmseq console prints a new one). Controls stay off.');
    tokenError.hidden = false;
  } else if (store.controls !== false) {
    setText(tokenError, '');
    tokenError.hidden = true;
  }
  setText(controlsPill, store.controls === true ? 'Controls enabled' : store.controls === false ? 'VIEW ONLY' : '...');
  controlsPill.className = `pill ${store.controls === false ? 'pill-warn' : 'pill-ok'}`;
}

// ---- Header and notices.
const subtitle = byId('subtitle');
const simPill = byId('sim-pill');
const notice = byId('notice');
function renderHeader(): void {
  const s = store.server;
  const m = store.session;
  setText(byId('title'), m ? MANEUVER_NAMES[m.info.maneuver] ?? m.info.maneuver : 'Recruitment maneuver console');
  setText(subtitle, s ? `${s.source}${m ? ` · ${m.info.device.vendor} ${m.info.device.model}${m.info.guided ? ' · GUIDED: you set the ventilator' : ''}` : ''}` : 'connecting...');
  simPill.hidden = !s?.simulated;
  setText(simPill, s ? `SIMULATION${s.speed !== 1 ? ` ×${s.speed}` : ''}` : '');
  setText(byId('footer-source'), s ? `wire v${s.wire}` : '');
  const n = store.notice;
  notice.hidden = !n || Date.now() - n.at > 15_000;
  if (n) {
    notice.className = `notice notice-${n.level}`;
    fill(notice, n.text);
  }
}

const logList = byId<HTMLOListElement>('log');
let logKey = '';
function renderLog(): void {
  const m = store.session;
  const key = `${m?.info.id}:${m?.log.length}`;
  if (key === logKey || !m) return;
  logKey = key;
  fill(logList, ...m.log.slice(-150).reverse().map((e) => h('li', { class: `log-${e.level}` }, h('span', { class: 'log-t' }, clock(e.t - m.info.t0)), ` ${e.text}`)));
}

// ---- Panels.
const charts = new Charts(byId('charts'));
const plan = new PlanPanel();
const alarms = new AlarmsPanel();
const result = new ResultPanel();
const titration = new TitrationPanel();
const screen = new ScreenPanel();

/**
 * The recruitability screen to show, and where: readings entered by hand under the setup form
 * (while it has the screen chosen); a screen session's own right under the now panel; the screen
 * before a staircase under the charts (SpO2 and MAP stay above the fold).
 */
function renderScreen(): void {
  const m = store.session;
  if (store.setupOpen && store.setupManeuver === 'recruitability-screen' && store.enteredScreen) {
    screen.render(store.enteredScreen, byId('setup'));
  } else if (m?.screen) {
    screen.render(m.screen, byId(m.info.maneuver === 'recruitability-screen' ? 'now' : 'charts'));
  } else screen.render(null, byId('charts'));
}
const after = new AfterPanel(control);
const setup = new SetupPanel(store, (m) => conn.send(m), control);
const now = new NowPanel(store, (act, promptId, by) => {
  if (act === 'new') {
    store.setupOpen = true;
    store.changed();
    return true;
  }
  const sent = control({ type: act, ...(promptId !== undefined ? { promptId } : {}), ...(by !== undefined ? { by } : {}) });
  if (!sent) store.note('error', `Not connected: "${act}" was not sent.`);
  return sent;
});

// The top bar's height, for what must sit below it (the lost-link banner, scrolled-to panels).
const topbar = byId('topbar');
new ResizeObserver(() => document.documentElement.style.setProperty('--topbar-h', `${topbar.offsetHeight}px`)).observe(topbar);

// A new session (Start, or Repeat from another page) brings the page back to the top, where the
// running step and its countdown are: the operator was scrolled down at the form.
let shownSession: number | null = null;
function followSession(): void {
  const id = store.session?.info.id ?? null;
  if (id === shownSession) return;
  const first = shownSession === null && !store.everConnected;
  shownSession = id;
  if (id !== null && !first) window.scrollTo({ top: 0, behavior: 'instant' });
}

function render(): void {
  renderLink();
  renderControls();
  renderHeader();
  renderAbort();
  now.render();
  setup.render();
  plan.render(store.session, store.sessionNow());
  alarms.render(store.session);
  result.render(store.session);
  titration.render(store.session);
  renderScreen();
  after.render(store.session);
  byId('charts').hidden = store.session === null;
  charts.update(store.session, store.rowsChanged);
  renderLog();
  followSession();
  document.body.dataset['state'] = store.session?.step.state ?? 'none';
}

store.onChange(render);
charts.mount();
render();
conn.start();
// Countdowns and the lost-link timer move between updates.
window.setInterval(() => {
  // An abort the controller has not acted on within 5 s: say so, and arm the button again.
  if (store.abortSentAt !== null && Date.now() - store.abortSentAt > 5000 && store.session?.step.state.startsWith('active')) {
    store.abortSentAt = null;
    store.note('error', 'The controller has not confirmed the ABORT yet: press ABORT again, or stop the maneuver on the ventilator.');
  }
  now.tick();
  plan.render(store.session, store.sessionNow());
  if (store.link !== 'open') renderLink();
  if (store.notice && !byId('notice').hidden && Date.now() - store.notice.at > 15_000) renderHeader();
}, 250);
document.addEventListener('click', () => sound.unlock(), { once: true });
document.addEventListener('keydown', () => sound.unlock(), { once: true });
