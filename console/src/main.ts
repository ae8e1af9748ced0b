// The console's entry: session and login, the hash router, and the poller that keeps the page live.
import './style.css';
import type { SessionInfo } from '../../src/console/api-types';
import { api, setCsrfToken, setUnauthorizedHandler } from './api';
import { replaceChildren } from './dom';
import { loginPage } from './page-login';
import { type Route, routeOf } from './router';
import { clearError, clearPollError, clearStatus, type Page, showError } from './ui';

/** How often the open page refreshes while the tab is visible. */
const POLL_MS = 3000;

const main = document.getElementById('main') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
const logout = document.getElementById('logout') as HTMLButtonElement;
const serverInfo = document.getElementById('server-info') as HTMLElement;

let session: SessionInfo | undefined;
let current: { page: Page; route: Route } | undefined;
let timer: number | undefined;
/** Pages with a refresh under way: a poll does not stack a second one on a slow answer. */
const refreshing = new WeakSet<Page>();
/** Bumped on every navigation, so a slow page load that finishes after the next one is dropped. */
let generation = 0;

async function loadPage(route: Route): Promise<Page> {
  switch (route.page) {
    case 'overview':
      return (await import('./page-overview')).overviewPage(main);
    case 'queue':
      return (await import('./page-queue')).queuePage(main, route.name);
    case 'buses':
      return (await import('./page-buses')).busesPage(main);
    case 'trace':
      return (await import('./page-trace')).tracePage(main, route.eventId);
    case 'alarms':
      return (await import('./page-alarms')).alarmsPage(main);
    case 'alarm':
      return (await import('./page-alarms')).alarmPage(main, route.name);
    default:
      return (await import('./page-not-found')).notFoundPage(main);
  }
}

async function navigate(): Promise<void> {
  const mine = ++generation;
  current?.page.destroy?.();
  current = undefined;
  clearError();
  clearStatus();
  if (session?.authRequired && !session.authenticated) {
    showLogin();
    return;
  }
  const route = routeOf(location.hash);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.dataset.section === route.section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  replaceChildren(main);
  main.setAttribute('aria-busy', 'true');
  let page: Page;
  try {
    page = await loadPage(route);
  } catch (error) {
    // A chunk that did not load: most likely a server updated under an open tab.
    showError(error, 'Could not load the page (reload the tab)');
    main.removeAttribute('aria-busy');
    return;
  }
  if (mine !== generation) {
    page.destroy?.();
    return;
  }
  current = { page, route };
  document.title = `${route.title} · Switchyard console`;
  await refresh();
  main.removeAttribute('aria-busy');
  // Focus the new page's heading (not on first load: the browser's own start is fine there).
  if (mine > 1) main.querySelector<HTMLElement>('h1')?.focus();
}

async function refresh(): Promise<void> {
  const page = current?.page;
  if (!page || refreshing.has(page)) return;
  refreshing.add(page);
  try {
    await page.refresh();
    if (page === current?.page) {
      live.textContent = `Live · ${new Date().toLocaleTimeString()}`;
      live.classList.remove('stale');
      clearPollError();
    }
  } catch (error) {
    if (page === current?.page) {
      showError(error, undefined, true);
      live.textContent = 'Not updating';
      live.classList.add('stale');
    }
  } finally {
    refreshing.delete(page);
  }
}

function schedule(): void {
  window.clearInterval(timer);
  timer = undefined;
  if (document.visibilityState !== 'visible') {
    live.textContent = 'Paused';
    return;
  }
  timer = window.setInterval(() => void refresh(), POLL_MS);
}

function showLogin(): void {
  current?.page.destroy?.();
  current = undefined;
  document.title = 'Log in · Switchyard console';
  live.textContent = '';
  loginPage(main, session?.locked === true, async (token) => {
    session = await api.login(token);
    applySession();
    await navigate();
  });
}

function applySession(): void {
  if (!session) return;
  setCsrfToken(session.csrfToken);
  logout.hidden = !(session.authRequired && session.authenticated);
  serverInfo.textContent = `v${session.version} · ${session.region} · ${session.accountId}`;
}

async function start(): Promise<void> {
  try {
    session = await api.session();
  } catch (error) {
    showError(error, 'Could not reach the console API');
    return;
  }
  applySession();
  setUnauthorizedHandler(() => {
    if (session) session = { ...session, authenticated: false, csrfToken: undefined };
    setCsrfToken(undefined);
    logout.hidden = true;
    showLogin();
  });
  logout.addEventListener('click', async () => {
    try {
      await api.logout();
    } catch (error) {
      showError(error, 'Log out');
    }
    if (session) session = { ...session, authenticated: false, csrfToken: undefined };
    applySession();
    showLogin();
  });
  window.addEventListener('hashchange', () => void navigate());
  // The skip link must not go through the hash router (#main is no route): it moves focus itself.
  document.querySelector('.skip-link')?.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  document.addEventListener('visibilitychange', () => {
    schedule();
    // Back to the tab: show the present at once rather than after a full period.
    if (document.visibilityState === 'visible') void refresh();
  });
  schedule();
  await navigate();
}

void start();
