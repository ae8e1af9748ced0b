// What every page shares: the status line, the error banner, and the shape of a page.
import { describeError } from './api';
import { h, replaceChildren } from './dom';

export interface Page {
  /** Fetches and redraws; called on mount and then by the poller while the tab is visible. */
  refresh(): Promise<void>;
  destroy?(): void;
}

const statusEl = () => document.getElementById('status');
const alertEl = () => document.getElementById('alert');
let statusTimer: number | undefined;

/** A short confirmation of something the user did, announced politely. */
export function notify(message: string): void {
  const el = statusEl();
  if (!el) return;
  el.textContent = message;
  window.clearTimeout(statusTimer);
  statusTimer = window.setTimeout(() => {
    el.textContent = '';
  }, 8000);
}

export function clearStatus(): void {
  const el = statusEl();
  if (el) el.textContent = '';
}

/** Whether the banner shows a failed poll, which the next good poll takes away (an action's error stays). */
let fromPoll = false;

/** An error the user should see: the API's code and message, until dismissed or the next success. */
export function showError(error: unknown, context?: string, poll = false): void {
  const el = alertEl();
  if (!el) return;
  fromPoll = poll;
  const text = context ? `${context}: ${describeError(error)}` : describeError(error);
  replaceChildren(
    el,
    h('span', { testid: 'error-text' }, text),
    h('button', { type: 'button', class: 'link-button', onclick: clearError, 'aria-label': 'Dismiss error' }, '×'),
  );
  el.hidden = false;
}

/** Takes away the banner if what it shows is a failed poll. */
export function clearPollError(): void {
  if (fromPoll) clearError();
}

export function clearError(): void {
  fromPoll = false;
  const el = alertEl();
  if (!el || el.hidden) return;
  el.hidden = true;
  el.textContent = '';
}

/** Runs an action from a button: disabled while it runs, its failure shown, its success announced. */
export async function runAction(
  button: HTMLButtonElement | null,
  what: string,
  action: () => Promise<string | undefined>,
): Promise<boolean> {
  if (button) button.disabled = true;
  try {
    const message = await action();
    clearError();
    if (message) notify(message);
    return true;
  } catch (error) {
    showError(error, what);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A page heading that takes focus on navigation, so screen readers start at the new page. */
export function pageHeading(text: string, ...extra: (Node | string)[]): HTMLHeadingElement {
  return h('h1', { tabindex: -1, class: 'page-title' }, text, ...extra);
}

export function section(title: string, ...children: (Node | null | false)[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id, class: 'card' }, h('h2', { id }, title), ...children);
}

export function stateBadge(state: string, testid?: string): HTMLSpanElement {
  return h('span', { class: `badge state-${state.toLowerCase()}`, testid }, state.replace('_', ' '));
}
