/** The sign-in screen: roles and a user name, a token from the local identity provider. */
import { call, describe } from '../api.js';
import { defaultIdpUrl, localTokenSource, ROLES, saveSession } from '../auth.js';
import { h } from '../dom.js';
import { announce } from '../status.js';
import type { Me } from '../types.js';

const ROLE_HELP: Record<string, string> = {
  Reader: 'read flows, calls and metrics',
  FlowEditor: 'edit drafts, validate, run flow tests',
  FlowPublisher: 'publish, roll back, bind numbers',
  Operator: 'terminate calls',
};

export function signInView(root: HTMLElement): void {
  const error = h('p', { class: 'error', role: 'alert', id: 'signin-error' });
  const user = h('input', {
    id: 'signin-user',
    name: 'user',
    type: 'text',
    value: 'analyst@contoso.example',
    required: true,
    autocomplete: 'username',
  });
  const idp = h('input', {
    id: 'signin-idp',
    name: 'idp',
    type: 'url',
    value: defaultIdpUrl(),
    required: true,
  });
  const boxes = ROLES.map((role) =>
    h(
      'div',
      { class: 'check' },
      h('input', {
        type: 'checkbox',
        id: `role-${role}`,
        name: 'roles',
        value: role,
        checked: role === 'FlowEditor',
      }),
      h('label', { for: `role-${role}` }, role, h('span', { class: 'hint' }, ` — ${ROLE_HELP[role] ?? ''}`)),
    ),
  );
  const form = h(
    'form',
    { class: 'card signin', 'aria-describedby': 'signin-error' },
    h('h1', {}, 'Sign in'),
    h(
      'p',
      {},
      'Local sign-in: the local identity provider issues a token with the roles you pick. In production the console signs in with Microsoft Entra ID.',
    ),
    h('fieldset', {}, h('legend', {}, 'Roles'), ...boxes),
    h('div', { class: 'field' }, h('label', { for: 'signin-user' }, 'User name'), user),
    h('div', { class: 'field' }, h('label', { for: 'signin-idp' }, 'Identity provider URL'), idp),
    error,
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const roles = boxes
      .map((b) => b.querySelector('input') as HTMLInputElement)
      .filter((i) => i.checked)
      .map((i) => i.value);
    if (roles.length === 0) {
      error.textContent = 'Pick at least one role.';
      return;
    }
    error.textContent = '';
    void (async () => {
      try {
        const session = await localTokenSource(idp.value).signIn({
          user: user.value.trim() || 'analyst',
          roles,
        });
        saveSession(session);
        const me = await call<Me>('GET', 'me');
        saveSession({ ...session, roles: me.data.roles });
        announce(`Signed in as ${session.user}.`);
        location.hash = roles.includes('Operator') && roles.length === 1 ? '#/calls' : '#/flows';
      } catch (err) {
        saveSession(undefined);
        error.textContent = describe(err);
      }
    })();
  });
  root.append(form);
  (boxes[0]?.querySelector('input') as HTMLInputElement | null)?.focus();
}
