import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { runGraphParse } from '../../cli/commands/graph.js';
import { main } from '../../cli/main.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/graph/', import.meta.url));

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graph-parse-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  process.exitCode = undefined;
});

function collect() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

describe('switchboard graph parse', () => {
  it('prints one JSON line per event, without raw by default', async () => {
    const c = collect();
    const code = await runGraphParse(
      [
        path.join(FIXTURES, 'notification-tone-received.json'),
        path.join(FIXTURES, 'notification-playprompt-completed.json'),
      ],
      {},
      c.output,
    );
    expect(code).toBe(0);
    expect(c.err).toEqual([]);
    const events = c.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      kind: 'tone',
      callId: '57dab8b1-894c-409a-b240-bd8beae78896',
      key: '1',
      sequenceId: 1,
    });
    expect(events[1]).toMatchObject({
      kind: 'operationCompleted',
      operationType: 'playPrompt',
      succeeded: true,
    });
    expect(events.every((e) => !('raw' in e))).toBe(true);
  });

  it('reads a capture saved with a UTF-8 byte order mark', async () => {
    const file = path.join(dir, 'bom.json');
    fs.writeFileSync(
      file,
      '\uFEFF' + fs.readFileSync(path.join(FIXTURES, 'notification-tone-received.json'), 'utf8'),
    );
    const c = collect();
    expect(await runGraphParse([file], {}, c.output)).toBe(0);
    expect(c.err).toEqual([]);
    expect(JSON.parse(c.out[0]!)).toMatchObject({ kind: 'tone' });
  });

  it('includes raw with --raw', async () => {
    const c = collect();
    await runGraphParse([path.join(FIXTURES, 'notification-call-terminated.json')], { raw: true }, c.output);
    const event = JSON.parse(c.out[0]!) as { raw: { resourceData: { resultInfo: { code: string } } } };
    expect(event.raw.resourceData.resultInfo.code).toBe('200');
  });

  it('reports malformed and unreadable files as FILE: error: ... and exit 1, still reading the others', async () => {
    const badJson = path.join(dir, 'bad.json');
    fs.writeFileSync(badJson, '{"value": [');
    const badShape = path.join(dir, 'shape.json');
    fs.writeFileSync(
      badShape,
      JSON.stringify({
        value: [
          { changeType: 'updated', resourceUrl: '/communications/calls/c', resourceData: { state: 1 } },
        ],
      }),
    );
    const missing = path.join(dir, 'missing.json');
    const c = collect();
    const code = await runGraphParse(
      [badJson, path.join(FIXTURES, 'notification-call-established.json'), badShape, missing],
      {},
      c.output,
    );
    expect(code).toBe(1);
    expect(c.out).toHaveLength(1);
    expect(c.err).toEqual([
      expect.stringMatching(
        new RegExp(`^${badJson.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error: not valid JSON`),
      ),
      `${badShape}: error: value[0].resourceData.state: expected a string, got a number`,
      `${missing}: error: cannot read file (ENOENT)`,
    ]);
    expect(c.err.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('runs through the CLI entry point with exit code 1 and no stack trace', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '[]');
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await main([
      'node',
      'switchboard',
      'graph',
      'parse',
      path.join(FIXTURES, 'notification-incoming-call.json'),
      bad,
    ]);
    const out = stdout.mock.calls.map((a) => String(a[0])).join('');
    const err = stderr.mock.calls.map((a) => String(a[0])).join('');
    stdout.mockRestore();
    stderr.mockRestore();
    expect(code).toBe(1);
    expect(JSON.parse(out.trim())).toMatchObject({ kind: 'incomingCall', requestedModalities: ['audio'] });
    expect(err).toBe(`${bad}: error: body: expected a JSON object, got an array\n`);
  });
});
