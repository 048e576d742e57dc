/**
 * A test call from the browser (local only): dial a number bound to the flow through the Graph
 * simulator, press keys on a keypad while it runs, and watch the prompts as they play, the step
 * path the orchestration took and the outcome (`/api/testcalls`, functions/api/testcall.http.ts).
 */
import { ApiError, call, describe } from '../api.js';
import { fmtMs, h, replace } from '../dom.js';
import type { CallRecord, NumberBinding, TestCallView } from '../types.js';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

/**
 * The panel and a dispose function (stops polling). `onPath` receives the call's step path as it
 * grows; `onEnded` is called once the call has ended and its record is final.
 */
export function testCallPanel(
  flowId: string,
  onPath: (path: string[]) => void,
  onEnded: () => void = () => undefined,
): { element: HTMLElement; dispose: () => void } {
  let callId: string | undefined;
  let timer: number | undefined;
  let ended = false;
  const numberSelect = h('select', { id: 'testcall-number' });
  const dial = h('button', { type: 'button', class: 'primary', id: 'testcall-dial' }, 'Call');
  const hangup = h('button', { type: 'button', id: 'testcall-hangup', disabled: true }, 'Hang up');
  const state = h('p', { id: 'testcall-state', role: 'status' }, 'No call.');
  const prompts = h('ol', {
    id: 'testcall-prompts',
    class: 'transcript',
    'aria-label': 'Prompts played',
    'aria-live': 'polite',
  });
  const pathOut = h('ol', { id: 'testcall-path', class: 'path', 'aria-label': 'Step path' });
  const outcome = h('p', { id: 'testcall-outcome', 'aria-live': 'polite' });
  const pressed = h('output', { id: 'testcall-pressed', 'aria-label': 'Keys pressed' });

  const press = async (key: string): Promise<void> => {
    if (!callId || ended) return;
    pressed.value = `${pressed.value}${key}`;
    try {
      await call('POST', `testcalls/${encodeURIComponent(callId)}/keys`, { body: { keys: key } });
    } catch (err) {
      state.textContent = describe(err);
    }
  };
  const keypad = h(
    'div',
    {
      class: 'keypad',
      role: 'group',
      'aria-label': 'Keypad (with focus here, the keyboard keys 0-9, * and # press too)',
      // Typing a digit while focus is on the keypad presses it (the button under focus needs Enter/Space).
      onkeydown: (ev: Event) => {
        const key = (ev as KeyboardEvent).key;
        if (KEYS.includes(key)) {
          ev.preventDefault();
          void press(key);
        }
      },
    },
    ...KEYS.map((k) =>
      h(
        'button',
        {
          type: 'button',
          class: 'key',
          'data-key': k,
          'aria-label': `Key ${k}`,
          onclick: () => void press(k),
        },
        k,
      ),
    ),
  );

  const poll = async (): Promise<void> => {
    if (!callId) return;
    try {
      const [sim, rec] = await Promise.all([
        call<TestCallView>('GET', `testcalls/${encodeURIComponent(callId)}`),
        call<{ call: CallRecord }>('GET', `calls/${encodeURIComponent(callId)}`, {
          query: { history: 'false' },
        }).catch((err: unknown) => {
          if (err instanceof ApiError && err.status === 404) return undefined;
          throw err;
        }),
      ]);
      const t = sim.data;
      state.textContent = `Call ${t.state}.`;
      replace(
        prompts,
        ...t.transcript
          .filter((e) => e.type === 'promptStarted' || e.type === 'keyPressed')
          .map((e) =>
            e.type === 'promptStarted'
              ? h(
                  'li',
                  { class: 'prompt' },
                  h('span', { class: 'at' }, fmtMs(e.at)),
                  ' ',
                  typeof e.text === 'string' ? e.text : typeof e.uri === 'string' ? e.uri : 'prompt',
                )
              : h(
                  'li',
                  { class: 'key-event' },
                  h('span', { class: 'at' }, fmtMs(e.at)),
                  ` pressed ${typeof e.key === 'string' ? e.key : '?'}`,
                ),
          ),
      );
      const record = rec?.data.call;
      if (record) {
        replace(pathOut, ...record.path.map((p) => h('li', {}, p)));
        onPath(record.path);
        if (record.outcome) {
          const o = record.outcome;
          outcome.textContent = `Outcome: ${o.kind}${o.target ? ` to ${o.target}` : ''}${o.step ? ` (step ${o.step})` : ''}.`;
        }
      }
      const simEnded = t.state === 'terminated';
      if (simEnded && (!record || record.status === 'ended')) {
        ended = true;
        onEnded();
        hangup.disabled = true;
        dial.disabled = false;
        if (!record?.outcome && t.outcome) outcome.textContent = `Outcome: ${t.outcome.reason}.`;
        return;
      }
    } catch (err) {
      state.textContent = describe(err);
    }
    timer = window.setTimeout(() => void poll(), 400);
  };

  dial.addEventListener('click', () => {
    void (async () => {
      if (!numberSelect.value) return;
      dial.disabled = true;
      ended = false;
      pressed.value = '';
      replace(prompts);
      replace(pathOut);
      outcome.textContent = '';
      try {
        const { data } = await call<{ callId: string }>('POST', 'testcalls', {
          body: { to: numberSelect.value },
        });
        callId = data.callId;
        state.textContent = 'Dialling…';
        hangup.disabled = false;
        (keypad.querySelector('button') as HTMLButtonElement).focus();
        void poll();
      } catch (err) {
        dial.disabled = false;
        state.textContent = describe(err);
      }
    })();
  });
  hangup.addEventListener('click', () => {
    if (callId)
      void call('POST', `testcalls/${encodeURIComponent(callId)}/hangup`).catch(
        (err: unknown) => (state.textContent = describe(err)),
      );
  });

  const loadNumbers = (): Promise<void> =>
    call<{ items: NumberBinding[] }>('GET', 'numbers', { query: { flowId } })
      .then(({ data }) => {
        replace(numberSelect, ...data.items.map((n) => h('option', { value: n.number }, n.number)));
        dial.disabled = data.items.length === 0;
        if (data.items.length === 0) replace(numberSelect, h('option', { value: '' }, 'no number bound'));
      })
      .catch((err: unknown) => {
        state.textContent = describe(err);
      });
  void loadNumbers();

  // Binding a number (FlowPublisher): PUT /api/numbers/{number} {flowId}.
  const bindInput = h('input', {
    id: 'bind-number',
    type: 'tel',
    placeholder: '+14255550142',
    pattern: '\\+[1-9][0-9]{6,14}',
  });
  const bindOut = h('span', { id: 'bind-result', role: 'status' });
  const bindForm = h(
    'form',
    { class: 'inline' },
    h('label', { for: 'bind-number' }, 'Bind a number to this flow'),
    bindInput,
    h('button', { type: 'submit' }, 'Bind'),
    bindOut,
  );
  bindForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const number = bindInput.value.trim();
    void call('PUT', `numbers/${encodeURIComponent(number)}`, { body: { flowId } })
      .then(async () => {
        bindOut.textContent = `${number} now rings ${flowId}.`;
        await loadNumbers();
      })
      .catch((err: unknown) => {
        bindOut.textContent = describe(err);
      });
  });

  const element = h(
    'section',
    { class: 'card', 'aria-labelledby': 'testcall-h', id: 'testcall' },
    h('h2', { id: 'testcall-h' }, 'Test call'),
    h(
      'p',
      {},
      'Places a call through the local Graph simulator to a number bound to this flow; it runs the live version. Local only.',
    ),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'testcall-number' }, 'Number'),
      numberSelect,
      dial,
      hangup,
    ),
    bindForm,
    h(
      'div',
      { class: 'testcall-grid' },
      h('div', {}, keypad, h('p', {}, 'Pressed: ', pressed)),
      h('div', {}, state, h('h3', {}, 'Prompts'), prompts),
      h('div', {}, h('h3', {}, 'Step path'), pathOut, outcome),
    ),
  );
  return { element, dispose: () => window.clearTimeout(timer) };
}
