// Shown when the server listens beyond loopback and this browser has no session yet.
import { describeError } from './api';
import { h, replaceChildren } from './dom';

export function loginPage(main: HTMLElement, locked: boolean, login: (token: string) => Promise<void>): void {
  if (locked) {
    // No token is configured, so no login can succeed: say how to open it rather than show a form that must fail.
    replaceChildren(
      main,
      h(
        'section',
        { class: 'card login', testid: 'console-locked', 'aria-labelledby': 'locked-title' },
        h('h1', { id: 'locked-title', tabindex: -1 }, 'The console is locked'),
        h(
          'p',
          null,
          'This server listens on a network address and has no console token. Start it with --console-token or SWITCHYARD_CONSOLE_TOKEN, then log in here with that token.',
        ),
      ),
    );
    return;
  }
  const token = h('input', {
    id: 'login-token',
    type: 'password',
    name: 'token',
    autocomplete: 'current-password',
    required: true,
    testid: 'login-token',
  });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, 'Log in');
  const form = h(
    'form',
    { class: 'card login', testid: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: -1 }, 'Log in to the console'),
    h(
      'p',
      { class: 'muted' },
      'This server listens on a network address, so the console asks for its token (the consoleToken setting).',
    ),
    h('label', { for: 'login-token', class: 'field' }, h('span', null, 'Console token'), token),
    error,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      await login(token.value);
    } catch (e) {
      error.textContent = describeError(e);
      error.hidden = false;
      token.select();
      token.focus();
    } finally {
      submit.disabled = false;
    }
  });
  replaceChildren(main, form);
  token.focus();
}
