/**
 * The Switchboard web console: a single page with hash routes.
 *
 * - `#/signin`: pick roles (local identity provider; MSAL.js in production, see auth.ts)
 * - `#/flows`, `#/flows/{flowId}`: analysts' flow list and editor
 * - `#/calls`, `#/calls/{callId}`: ops console (calls table, a call's timeline and history)
 *
 * Plain TypeScript and the DOM, no framework: five screens do not need one, the bundle stays
 * small, and every node is built with `h()` (text only, never HTML strings), which keeps the
 * Trusted Types CSP trivially satisfied.
 */
import './styles.css';

import { describe, setUnauthenticatedHandler } from './api.js';
import { loadSession, saveSession } from './auth.js';
import { h, replace } from './dom.js';
import { announce } from './status.js';
import { callDetailView } from './views/call-detail.js';
import { callsView } from './views/calls.js';
import { flowEditorView } from './views/flow-editor.js';
import { flowsView } from './views/flows.js';
import { signInView } from './views/sign-in.js';

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const who = document.getElementById('who') as HTMLElement;

/** A screen: renders into `root`; may return a cleanup run when the route changes. */
export type View = (
  root: HTMLElement,
  params: string[],
) => Promise<(() => void) | void> | (() => void) | void;

const routes: [RegExp, View][] = [
  [/^\/signin$/, signInView],
  [/^\/flows$/, flowsView],
  [/^\/flows\/([^/]+)$/, flowEditorView],
  [/^\/calls$/, callsView],
  [/^\/calls\/([^/]+)$/, callDetailView],
];

let cleanup: (() => void) | void;

function chrome(): void {
  const session = loadSession();
  const here = location.hash.replace(/^#/, '') || '/flows';
  const link = (href: string, label: string): HTMLElement =>
    h('a', { href: `#${href}`, 'aria-current': here.startsWith(href) ? 'page' : undefined }, label);
  replace(
    nav,
    session ? h('ul', {}, h('li', {}, link('/flows', 'Flows')), h('li', {}, link('/calls', 'Calls'))) : null,
  );
  replace(
    who,
    session
      ? h(
          'span',
          {},
          `${session.user} · ${session.roles.join(', ')} `,
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                saveSession(undefined);
                location.hash = '#/signin';
              },
            },
            'Sign out',
          ),
        )
      : null,
  );
}

async function route(): Promise<void> {
  if (cleanup) cleanup();
  cleanup = undefined;
  const path = location.hash.replace(/^#/, '') || '/flows';
  if (!loadSession() && path !== '/signin') {
    location.hash = `#/signin`;
    return;
  }
  chrome();
  for (const [re, view] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    replace(main);
    try {
      cleanup = await view(
        main,
        m.slice(1).map((p) => decodeURIComponent(p)),
      );
    } catch (err) {
      replace(main, h('p', { class: 'error', role: 'alert' }, describe(err)));
    }
    main.focus({ preventScroll: true });
    return;
  }
  replace(
    main,
    h('h1', {}, 'Not found'),
    h('p', {}, 'No such screen. '),
    h('a', { href: '#/flows' }, 'Go to flows'),
  );
}

setUnauthenticatedHandler(() => {
  saveSession(undefined);
  announce('Your session ended. Sign in again.', 'error');
  location.hash = '#/signin';
});
window.addEventListener('hashchange', () => void route());
void route();
