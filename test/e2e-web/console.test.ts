/**
 * The web console in a real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core) against the whole local stack on 127.0.0.1 (`startStack`: Graph simulator,
 * embedded store, local identity provider, the local Functions host serving the API and the
 * console). One analyst-and-operator journey: sign in, edit a flow and see a validation error at
 * its line, fix it, run its tests, publish with a diff, place a test call with the keypad and see
 * its path, then find the call in the ops console and open its timeline. Screenshots of each screen
 * go to test-artifacts/web/ (git-ignored).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startStack, type Stack } from '../../local/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts', 'web');
const FLOW = 'city-power-outage';
const NUMBER = '+14255550150';

let stack: Stack;
let context: BrowserContext;
let page: Page;
let tmp: string;
const problems: string[] = [];

/** Signs in afresh (a new session) as `user` with exactly `roles`, through the sign-in screen. */
async function signIn(user: string, roles: string[]): Promise<void> {
  await page.goto(`${stack.url}/api/console/`);
  await page.evaluate('sessionStorage.clear()');
  await page.goto(`${stack.url}/api/console/#/signin`);
  await page.getByLabel('Identity provider URL').fill(stack.idpUrl ?? '');
  await page.getByLabel('User name').fill(user);
  for (const role of ['Reader', 'FlowEditor', 'FlowPublisher', 'Operator']) {
    await page.getByRole('checkbox', { name: new RegExp(`^${role}`) }).setChecked(roles.includes(role));
  }
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/#\/(flows|calls)$/);
}

/** Scrolls the element matching `selector` to the top of the window. */
async function scrollToTop(selector: string): Promise<void> {
  await page.evaluate(
    `document.querySelector(${JSON.stringify(selector)}).scrollIntoView({ block: 'start' })`,
  );
}

/** Saves what the window shows (1440 x 1000), after scrolling `focus` (a CSS selector) to the top. */
async function shot(name: string, focus?: string): Promise<void> {
  if (focus) await scrollToTop(focus);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

// Code that runs in the page is given as strings: the tests are type-checked without the DOM library.

/** Form controls and buttons on the page without an accessible name (label, aria-label, text). */
function unlabelled(): Promise<string[]> {
  return page.evaluate<string[]>(`(() => {
    const bad = [];
    for (const el of document.querySelectorAll('input, select, textarea, [contenteditable="true"], button')) {
      const named = (el.labels && el.labels.length) || el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
      if (!named) bad.push(el.tagName.toLowerCase() + '#' + el.id + '.' + el.className);
    }
    return bad;
  })()`);
}

/** The 1-based line of the first line of `text` that matches `re` after the line matching `after`. */
function lineOf(text: string, after: RegExp, re: RegExp): number {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => after.test(l));
  const i = lines.findIndex((l, n) => n > start && re.test(l));
  if (start < 0 || i < 0) throw new Error(`no line ${String(re)} after ${String(after)}`);
  return i + 1;
}

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  execFileSync(process.execPath, ['scripts/web-build.mjs', '--if-stale'], { stdio: 'pipe' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-web-'));
  stack = await startStack({ port: 0, dataDir: path.join(tmp, 'data'), clockScale: 1, quiet: true });
  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
  });
  // Record CSP violations (init scripts run outside the page's CSP) and page errors.
  await context.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  `);
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (
      msg.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())
    )
      problems.push(`console: ${msg.text()}`);
  });
}, 180_000);

afterAll(async () => {
  // The last screen, whatever happened (a failure's screen is the one to look at).
  await page?.screenshot({ path: path.join(ARTIFACTS, '99-last.png') }).catch(() => undefined);
  // Bounded: a browser that does not close on a loaded machine must not fail a passing suite
  // (the hook's own timeout would); the process exits with the test file anyway.
  const bounded = (p: Promise<unknown> | undefined, ms: number): Promise<unknown> =>
    Promise.race([p?.catch(() => undefined), new Promise((r) => setTimeout(r, ms))]);
  await bounded(context?.close(), 15_000);
  await bounded(stack?.stop(), 30_000);
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('web console in Chromium', () => {
  beforeEach(() => {
    problems.length = 0;
  });

  it('edits, validates, tests, publishes, test-calls a flow, and shows the call to ops', async () => {
    expect(stack.idpUrl, 'the local identity provider runs with the stack').toBeTruthy();

    // Sign in: roles picked on the sign-in screen, token from the local identity provider.
    await page.goto(`${stack.url}/api/console/`);
    await page.waitForURL(/#\/signin$/);
    await page.getByLabel('Identity provider URL').fill(stack.idpUrl ?? '');
    await page.getByLabel('User name').fill('ana@contoso.example');
    for (const role of ['FlowEditor', 'FlowPublisher', 'Operator'])
      await page.getByRole('checkbox', { name: new RegExp(`^${role}`) }).check();
    expect(await unlabelled()).toEqual([]);
    await shot('01-sign-in');
    await page.getByLabel('User name').press('Enter'); // the keyboard submits the form

    // Flow list.
    await page.waitForURL(/#\/flows$/);
    const flowLink = page.getByRole('link', { name: FLOW });
    await flowLink.waitFor();
    await shot('02-flows');
    await flowLink.click();

    // The editor with the live version, its graph and its problems.
    await page.locator('.cm-editor').waitFor();
    await page.locator('#graph svg .node').first().waitFor();
    await expect.poll(() => page.locator('#problems-summary').textContent()).toBe('No problems.');
    const source = await page.evaluate<string>(`(async () => {
      const { token } = JSON.parse(sessionStorage.getItem('switchboard.session'));
      const r = await fetch('/api/flows/${FLOW}', { headers: { Authorization: 'Bearer ' + token } });
      return (await r.json()).published.source;
    })()`);
    const line = lineOf(source, /^ {2}mainMenu:/, /^ {4}timeout: 6s$/);
    const graphNodes = await page.locator('#graph svg .node').count();
    expect(graphNodes).toBe(source.match(/^ {4}type: /gm)?.length);

    // Break the menu timeout: the validator's error shows at that line, in the gutter and the list.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('x');
    const problem = page.locator(`#problems li.error[data-line="${line}"]`);
    await problem.waitFor({ timeout: 15_000 });
    expect(await problem.textContent()).toContain(`Line ${line}`);
    const marked = page.locator('.cm-line', { has: page.locator('.cm-lintRange-error') });
    await marked.first().waitFor();
    expect(await marked.first().textContent()).toBe('    timeout: 6x');
    await page.locator('.cm-lint-marker-error').first().waitFor();
    expect(await unlabelled()).toEqual([]);
    await shot('03-validation-error');

    // Fix it (7 s now), save the draft, run the flow tests.
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await page.keyboard.type('7s');
    await expect
      .poll(() => page.locator('#problems-summary').textContent(), { timeout: 15_000 })
      .toBe('No problems.');

    // Completion from the schema: the menu's other keys, then step names where a step goes.
    await page.keyboard.press('Enter');
    await page.keyboard.type('bar');
    const completions = page.locator('.cm-tooltip-autocomplete li');
    await completions.first().waitFor();
    expect(await completions.allTextContents()).toEqual([expect.stringMatching(/^bargeIn/)]);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+K'); // delete the line
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('error: ag');
    await completions.first().waitFor();
    await expect
      .poll(async () => (await completions.allTextContents()).slice(0, 2)) // prefix matches first, fuzzy after
      .toEqual(['agentstep', 'agentsBusystep']);
    await shot('04-completion', '.editor-grid');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+K');
    await expect
      .poll(() => page.locator('#problems-summary').textContent(), { timeout: 15_000 })
      .toBe('No problems.');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect
      .poll(() => page.locator('#draft-state').textContent())
      .toContain('draft saved by ana@contoso.example');
    await page.getByRole('button', { name: 'Run flow tests' }).click();
    const summary = page.locator('#tests-summary');
    await summary.waitFor({ timeout: 60_000 });
    expect(await summary.textContent()).toMatch(/^All \d+ tests passed\.$/);
    await shot('05-flow-tests', '#tests-section');

    // Publish: the diff against the live version, then the new version becomes live.
    const liveBefore = Number(
      (await page.locator('#flow-state .badge').first().textContent())?.replace(/\D+/g, ''),
    );
    await page.getByRole('button', { name: 'Review and publish…' }).click();
    const diff = page.locator('#publish-panel pre.diff');
    await diff.waitFor();
    expect(await diff.locator('.diff-del').allTextContents()).toContain('-    timeout: 6s');
    expect(await diff.locator('.diff-add').allTextContents()).toContain('+    timeout: 7s');
    await page.locator('#publish-reason').fill('longer menu timeout');
    await shot('06-publish-diff', '#publish-panel');
    await page.getByRole('button', { name: 'Publish this version' }).click();
    await page.locator('#published-version').waitFor({ timeout: 60_000 });
    expect(await page.locator('#published-version').textContent()).toBe(
      `Published version ${liveBefore + 1}.`,
    );
    await page.getByRole('button', { name: `Roll back to v${liveBefore}` }).waitFor();
    await shot('07-versions', '#versions-h');

    // A test call with the keypad: hear the greeting and the menu, press 0 for an agent.
    await scrollToTop('#testcall');
    await page.locator('#testcall-number').selectOption(NUMBER);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    const prompts = page.locator('#testcall-prompts');
    await expect
      .poll(() => prompts.textContent(), { timeout: 60_000 })
      .toContain('To check on or report a power outage, press 1.');
    await page.getByRole('button', { name: 'Key 1' }).focus();
    await page.keyboard.press('0'); // a keyboard digit on the focused keypad presses that key
    await expect
      .poll(() => page.locator('#testcall-outcome').textContent(), { timeout: 60_000 })
      .toMatch(/^Outcome: transferred/);
    expect(await page.locator('#testcall-path li').allTextContents()).toEqual([
      'screen',
      'greet',
      'mainMenu',
      'agent',
    ]);
    expect(await page.locator('#testcall-pressed').textContent()).toBe('0');
    expect(await page.locator('#graph svg .node.on-path').count()).toBe(4);
    // The graph's traffic (metrics API) now counts the call on each step it took.
    await expect
      .poll(() => page.locator('#graph .node[data-step="agent"] .node-traffic').textContent(), {
        timeout: 15_000,
      })
      .toBe('1 call');
    expect(await page.locator('#graph .node[data-step="billing"] .node-traffic').textContent()).toBe(
      '0 calls',
    );
    await shot('08-test-call', '#testcall');
    await shot('09-graph-with-call-path', '.editor-grid');

    // Roll back to the version before: it is live again.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Roll back to v${liveBefore}` }).click();
    await expect
      .poll(() => page.locator('#versions tbody th', { has: page.locator('.badge') }).textContent())
      .toBe(`v${liveBefore} live`);
    await expect
      .poll(() => page.locator('#flow-state .badge').first().textContent())
      .toBe(`live v${liveBefore}`);
    await shot('10-rolled-back', '#versions-h');
    // What v2 changes against the live v1.
    await page.getByRole('button', { name: `Compare v${liveBefore + 1} with live` }).click();
    const versionDiff = page.locator('#version-diff pre.diff');
    await versionDiff.waitFor();
    expect(await versionDiff.locator('.diff-add').allTextContents()).toContain('+    timeout: 7s');

    // A publisher binds another number to the flow; the test call can dial it.
    await page.getByLabel('Bind a number to this flow').fill('+14255550142');
    await page.getByRole('button', { name: 'Bind', exact: true }).click();
    await expect
      .poll(() => page.locator('#bind-result').textContent())
      .toBe(`+14255550142 now rings ${FLOW}.`);
    await expect
      .poll(() => page.locator('#testcall-number option').allTextContents())
      .toContain('+14255550142');

    // Ops: the call is in the calls table; its timeline and orchestration history open.
    await page.getByRole('link', { name: 'Calls', exact: true }).click();
    await page.waitForURL(/#\/calls$/);
    await page.locator('#f-number').fill(NUMBER);
    await page.getByRole('button', { name: 'Search' }).click();
    const row = page.locator('#calls-table tbody tr').first();
    await row.waitFor();
    expect(await row.textContent()).toContain(FLOW);
    expect(await row.textContent()).toContain('transferred');
    expect(await unlabelled()).toEqual([]);
    await shot('11-calls');
    await row.getByRole('link').click();
    await page.waitForURL(/#\/calls\/.+/);
    const gantt = page.locator('#gantt');
    await gantt.waitFor();
    expect(await gantt.locator('.bar.kind-step').count()).toBeGreaterThanOrEqual(4);
    const labels = await gantt.locator('.bar-label').allTextContents();
    for (const step of ['screen', 'greet', 'mainMenu', 'agent'])
      expect(labels.some((l) => l.startsWith(`step ${step}`))).toBe(true);
    expect(labels.some((l) => l.startsWith('Graph '))).toBe(true);
    expect(labels.some((l) => l.startsWith('outcome transferred'))).toBe(true);
    expect(await page.locator('#history tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#history').textContent()).toContain('ExecutionStarted');
    expect(await unlabelled()).toEqual([]);
    await shot('12-call-timeline');

    // Nothing broke the page's CSP or threw.
    const csp = await page.evaluate<string[]>('window.__csp');
    expect(csp).toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);

  it('serves the console with its content types and CSP through the local host', async () => {
    const page1 = await fetch(`${stack.url}/api/console`);
    expect(page1.status).toBe(200);
    expect(page1.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page1.text();
    const nonce = /<meta property="csp-nonce" nonce="([^"]+)"/.exec(html)?.[1];
    expect(nonce).toBeTruthy();
    expect(page1.headers.get('content-security-policy')).toContain(`'nonce-${nonce}'`);
    const script = /src="(\/api\/console\/assets\/[^"]+\.js)"/.exec(html)?.[1] ?? '';
    const js = await fetch(`${stack.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('refuses a conflicting save and says so, overwriting nothing', async () => {
    const flow = 'pharmacy-refill';
    await signIn('erin@contoso.example', ['FlowEditor']);
    await page.goto(`${stack.url}/api/console/#/flows/${flow}`);
    await page.locator('.cm-editor').waitFor();
    // Meanwhile someone else saves a draft of the same flow.
    const { access_token: other } = (await (
      await fetch(`${stack.idpUrl}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roles: ['FlowEditor'], user: { preferred_username: 'bob@contoso.example' } }),
      })
    ).json()) as { access_token: string };
    const published = (await (
      await fetch(`${stack.url}/api/flows/${flow}`, { headers: { authorization: `Bearer ${other}` } })
    ).json()) as { published: { source: string } };
    const theirs = published.published.source.replace(/^description: .*$/m, 'description: Bob was here.');
    const saved = await fetch(`${stack.url}/api/flows/${flow}/draft`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${other}`, 'content-type': 'text/yaml' },
      body: theirs,
    });
    expect(saved.status).toBe(201);
    // Our edit, then Save: 412, explained; Bob's draft stays.
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('# my note');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.locator('#status').textContent()).toContain('Someone else saved this draft');
    expect(await page.locator('#status').getAttribute('class')).toContain('error');
    await shot('15-save-conflict');
    const after = (await (
      await fetch(`${stack.url}/api/flows/${flow}`, { headers: { authorization: `Bearer ${other}` } })
    ).json()) as { draft: { source: string; updatedBy: string } };
    expect(after.draft.source).toBe(theirs);
    expect(after.draft.updatedBy).toBe('bob@contoso.example');
  });

  it('shows an active call live and lets an operator terminate it', async () => {
    // A fresh sign-in as an operator only (no flow roles): the console opens on the calls.
    await signIn('otto@contoso.example', ['Operator']);
    await page.waitForURL(/#\/calls$/);
    await page.locator('#active-calls').waitFor();
    expect(await page.locator('#who').textContent()).toContain('otto@contoso.example · Operator');
    // A caller who stays silent: the menu reprompts before handing over, so the call stays up a while.
    const sim = await stack.sim.placeCall({ from: '+14255550188', to: NUMBER, steps: [] });
    const activeRow = page.locator(`#active-calls tr[data-call="${sim.id}"]`);
    await activeRow.waitFor({ timeout: 20_000 }); // appears without a reload: the table polls
    expect(await activeRow.textContent()).toContain('active');
    await shot('13-active-call');
    await activeRow.getByRole('link').click();
    const terminate = page.getByRole('button', { name: 'Terminate call' });
    await terminate.waitFor();
    page.once('dialog', (d) => void d.accept());
    await terminate.click();
    await expect
      .poll(() => page.locator('#rec-h + dl').textContent(), { timeout: 20_000 })
      .toContain('Statusended');
    await sim.ended();
    expect(sim.outcome?.reason).toBe('botHungUp');
    await shot('14-terminated');
    expect(await page.evaluate<string[]>('window.__csp')).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);
});
