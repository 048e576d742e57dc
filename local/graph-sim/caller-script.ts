/**
 * Scripted callers: what a simulated person on the phone does. A `CallerScript` dials a number
 * (PSTN or Teams user) and then runs its steps in order against the simulated call, reacting to
 * what the bot plays. Scripts are plain JSON so they can be posted to `POST /sim/calls` by a CLI.
 */

/** A DTMF key as the caller presses it. */
export type DtmfKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#';

/** One step of a caller script (see {@link CallerScript}). Durations are simulated ms. */
export type CallerStep =
  /** Waits until the `n`-th prompt of the call (1-based, counted over the whole call) starts (default) or ends. */
  | { type: 'waitForPrompt'; n: number; phase?: 'start' | 'end' }
  /** Waits until the call reaches `state` (e.g. `established`). */
  | { type: 'waitForState'; state: string }
  /** Does nothing for `ms`. */
  | { type: 'wait'; ms: number }
  /** Stays silent for `ms` (recorded in the transcript, so no-input paths read clearly). */
  | { type: 'silence'; ms: number }
  /**
   * Presses keys in the compact form: digits, `*`, `#` are key presses, `w` is a pause of
   * `pauseMs` (default the script's `pauseMs`, 1000), spaces are ignored: `"w 2 w 123456#"`.
   * Keys follow each other every `interDigitMs` (default 200).
   */
  | { type: 'press'; keys: string; pauseMs?: number; interDigitMs?: number }
  /**
   * Hangs up: `now` (default); `duringNextPrompt` (when the next prompt starts, after `afterMs`,
   * default 100); `duringTransfer` (once a transfer is under way, after `afterMs`).
   */
  | { type: 'hangUp'; when?: 'now' | 'duringNextPrompt' | 'duringTransfer'; afterMs?: number }
  /** Sets how the target of the next transfer behaves: accept (the call completes the transfer) or fail; after `afterMs` (default 1000). */
  | { type: 'transferTarget'; outcome: 'accept' | 'fail'; afterMs?: number }
  /** Waits for a recording (recordResponse) to start listening (unless `waitForRecording: false`), then speaks for `ms`. */
  | { type: 'say'; ms: number; waitForRecording?: boolean };

/** A scripted caller. */
export interface CallerScript {
  /** Caller: an E.164 number (`+14255550100`, a PSTN caller) or a Teams user (`{ userId, displayName? }`). */
  from: string | { userId: string; displayName?: string };
  /** The dialled number (E.164) of the bot's application instance, or the bot's app id for a Teams call. */
  to: string;
  /** Steps run in order; a bare string is a `press` step in the compact form. */
  steps?: (CallerStep | string)[];
  /** Length of one `w` pause in `press` steps, ms (default 1000). */
  pauseMs?: number;
  /** Overrides the simulator's default callback URI for the incoming-call notification. */
  callbackUri?: string;
}

/** A single timed action from a compact key string. */
export type KeyAction = { key: DtmfKey } | { pauseMs: number };

/**
 * Parses the compact key form (`"w 2 w 123456#"`) into key presses and pauses.
 * Throws `TypeError` naming the position of any character that is not a key, `w` or a space.
 */
export function parseKeys(keys: string, pauseMs = 1000): KeyAction[] {
  const out: KeyAction[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ch = keys[i] ?? '';
    if (ch === ' ' || ch === ',') continue;
    if (ch === 'w' || ch === 'W') out.push({ pauseMs });
    else if (/^[0-9*#]$/.test(ch)) out.push({ key: ch as DtmfKey });
    else
      throw new TypeError(
        `keys "${keys}": character ${i + 1} ('${ch}') is not a key (0-9 * #), 'w' (pause) or a space`,
      );
  }
  return out;
}

/** The Graph `tone` enum value for a key (`1` → `tone1`, `*` → `star`, `#` → `pound`). */
export function toneOf(key: DtmfKey): string {
  if (key === '*') return 'star';
  if (key === '#') return 'pound';
  return `tone${key}`;
}

const STEP_TYPES = [
  'waitForPrompt',
  'waitForState',
  'wait',
  'silence',
  'press',
  'hangUp',
  'transferTarget',
  'say',
];

/**
 * Checks a script received as JSON and returns it with string steps expanded to `press` steps.
 * Throws `TypeError` saying which field of which step is wrong.
 */
export function normalizeScript(input: unknown): CallerScript & { steps: CallerStep[] } {
  if (typeof input !== 'object' || input === null) throw new TypeError('caller script: expected an object');
  const s = input as Record<string, unknown>;
  const from = s.from;
  const fromOk =
    (typeof from === 'string' && from !== '') ||
    (typeof from === 'object' && from !== null && typeof (from as { userId?: unknown }).userId === 'string');
  if (!fromOk) throw new TypeError('caller script: from must be an E.164 number or { userId }');
  if (typeof s.to !== 'string' || s.to === '')
    throw new TypeError('caller script: to must be a non-empty string');
  if (s.pauseMs !== undefined && (typeof s.pauseMs !== 'number' || s.pauseMs < 0))
    throw new TypeError('caller script: pauseMs must be a number >= 0');
  if (s.callbackUri !== undefined && typeof s.callbackUri !== 'string')
    throw new TypeError('caller script: callbackUri must be a string');
  return { ...(s as unknown as CallerScript), steps: normalizeSteps(s.steps, 'caller script') };
}

/**
 * Checks a list of steps received as JSON (bare strings become `press` steps). `label` prefixes
 * error messages. Throws `TypeError` saying which field of which step is wrong.
 */
export function normalizeSteps(input: unknown, label: string): CallerStep[] {
  const rawSteps = input ?? [];
  if (!Array.isArray(rawSteps)) throw new TypeError(`${label}: steps must be an array`);
  return rawSteps.map((raw: unknown, i) => {
    const where = `${label}: steps[${i}]`;
    if (typeof raw === 'string') {
      parseKeys(raw);
      return { type: 'press', keys: raw };
    }
    if (typeof raw !== 'object' || raw === null)
      throw new TypeError(`${where}: expected an object or a key string`);
    const st = raw as Record<string, unknown>;
    if (typeof st.type !== 'string' || !STEP_TYPES.includes(st.type)) {
      throw new TypeError(`${where}: type must be one of ${STEP_TYPES.join(', ')}`);
    }
    const num = (k: string, required: boolean): void => {
      const v = st[k];
      if (v === undefined && !required) return;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new TypeError(`${where}: ${k} must be a number >= 0`);
    };
    switch (st.type) {
      case 'waitForPrompt':
        num('n', true);
        if ((st.n as number) < 1) throw new TypeError(`${where}: n must be >= 1`);
        if (st.phase !== undefined && st.phase !== 'start' && st.phase !== 'end')
          throw new TypeError(`${where}: phase must be start or end`);
        break;
      case 'waitForState':
        if (typeof st.state !== 'string') throw new TypeError(`${where}: state must be a string`);
        break;
      case 'wait':
      case 'silence':
      case 'say':
        num('ms', true);
        break;
      case 'press':
        if (typeof st.keys !== 'string') throw new TypeError(`${where}: keys must be a string`);
        parseKeys(st.keys);
        num('pauseMs', false);
        num('interDigitMs', false);
        break;
      case 'hangUp':
        if (
          st.when !== undefined &&
          !['now', 'duringNextPrompt', 'duringTransfer'].includes(st.when as string)
        ) {
          throw new TypeError(`${where}: when must be now, duringNextPrompt or duringTransfer`);
        }
        num('afterMs', false);
        break;
      case 'transferTarget':
        if (st.outcome !== 'accept' && st.outcome !== 'fail')
          throw new TypeError(`${where}: outcome must be accept or fail`);
        num('afterMs', false);
        break;
    }
    return st as unknown as CallerStep;
  });
}

/**
 * How the callee of the bot's next outbound call behaves (`sim.expectOutboundCall`): `accept`
 * (default) after `afterMs` then runs `steps` like a caller; `decline` after `afterMs`; `noAnswer`
 * rings until the ringing timeout.
 */
export interface CalleeScript {
  answer?: 'accept' | 'decline' | 'noAnswer';
  afterMs?: number;
  steps?: (CallerStep | string)[];
  pauseMs?: number;
}

/** Checks a callee script received as JSON. Throws `TypeError` naming the bad field. */
export function normalizeCallee(input: unknown): CalleeScript & { steps: CallerStep[] } {
  if (typeof input !== 'object' || input === null) throw new TypeError('callee script: expected an object');
  const s = input as Record<string, unknown>;
  if (s.answer !== undefined && !['accept', 'decline', 'noAnswer'].includes(s.answer as string)) {
    throw new TypeError('callee script: answer must be accept, decline or noAnswer');
  }
  for (const k of ['afterMs', 'pauseMs']) {
    const v = s[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0))
      throw new TypeError(`callee script: ${k} must be a number >= 0`);
  }
  return { ...(s as CalleeScript), steps: normalizeSteps(s.steps, 'callee script') };
}
