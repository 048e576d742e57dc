import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import wavefile from 'wavefile';
import { afterAll, describe, expect, it } from 'vitest';

import {
  checkWavFile,
  expandFlowPaths,
  loadFlowFile,
  loadNumbersFile,
  loadTestFile,
  testFileFor,
} from '../../../../shared/flow/node/load.js';
import { flowYaml } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'flow-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wav(name: string, channels: number, rate: number, bits: string): string {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, bits, new Array(channels * 160).fill(0));
  writeFileSync(join(dir, name), w.toBuffer());
  return name;
}

describe('checkWavFile', () => {
  it('accepts 16 kHz 16-bit mono PCM and explains what is wrong otherwise', () => {
    expect(checkWavFile(wav('ok.wav', 1, 16000, '16'), dir)).toBeUndefined();
    expect(checkWavFile(wav('cd.wav', 2, 44100, '16'), dir)).toMatchObject({
      code: 'FLOW.AUDIO_FORMAT',
      message: expect.stringContaining('44100 Hz'),
    });
    expect(checkWavFile(wav('8k.wav', 1, 8000, '16'), dir)?.code).toBe('FLOW.AUDIO_FORMAT');
    expect(checkWavFile(wav('8bit.wav', 1, 16000, '8'), dir)?.code).toBe('FLOW.AUDIO_FORMAT');
    writeFileSync(join(dir, 'text.wav'), 'not audio');
    expect(checkWavFile('text.wav', dir)?.message).toContain('not a WAV');
    expect(checkWavFile('none.wav', dir)?.code).toBe('FLOW.AUDIO_MISSING');
    expect(checkWavFile('https://cdn.example/a.wav', dir)).toBeUndefined();
    expect(checkWavFile('http://cdn.example/a.wav', dir)?.code).toBe('FLOW.AUDIO_FORMAT');
  });
});

describe('loadFlowFile', () => {
  it('loads a flow, checks its audio relative to the file and collects scenarios from both places', () => {
    const yaml = flowYaml(
      `  start:
    type: play
    prompts: [hello]
    next: end
  end:
    type: hangup
    prompt: bye
`,
    ).replace('  hello: { text: Hello }', '  hello: { audio: ok.wav }\n  bad: { audio: cd.wav }');
    writeFileSync(
      join(dir, 'main.yaml'),
      `${yaml}tests:\n  - name: inline\n    expect: { outcome: completed }\n`,
    );
    writeFileSync(
      testFileFor(join(dir, 'main.yaml')),
      'tests:\n  - name: beside\n    expect: { path: [start, end] }\n',
    );
    const l = loadFlowFile(join(dir, 'main.yaml'));
    expect(l.issues.filter((i) => i.severity === 'error').map((i) => i.code)).toEqual(['FLOW.AUDIO_FORMAT']);
    expect(l.flow).toBeUndefined();
    writeFileSync(
      join(dir, 'main.yaml'),
      `${yaml.replace('  bad: { audio: cd.wav }\n', '')}tests:\n  - name: inline\n    expect: { outcome: completed }\n`,
    );
    const ok = loadFlowFile(join(dir, 'main.yaml'));
    expect(ok.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(ok.scenarios.map((s) => s.scenario.name)).toEqual(['inline', 'beside']);
  });

  it('expands folders to flow files only, and validates numbers.yaml against them', () => {
    writeFileSync(join(dir, 'numbers.yaml'), 'numbers:\n  "+14255550100": t\n  "+14255550101": nope\n');
    expect(expandFlowPaths([dir]).map((f) => f.slice(dir.length + 1))).toEqual(['main.yaml']);
    expect(loadNumbersFile(join(dir, 'numbers.yaml')).issues.map((i) => i.code)).toEqual([
      'FLOW.UNKNOWN_FLOW',
    ]);
    expect(() => expandFlowPaths([join(dir, 'missing')])).toThrow(/no such file/);
  });
});

describe('loadTestFile', () => {
  it('checks scenarios against the flow beside the test file', () => {
    writeFileSync(
      join(dir, 'main.test.yaml'),
      'tests:\n  - name: beside\n    expect: { path: [start, nowhere] }\n',
    );
    const r = loadTestFile(join(dir, 'main.test.yaml'));
    expect(r.issues).toMatchObject([{ code: 'FLOW.TEST_UNKNOWN_STEP', line: 3, col: 29 }]);
    writeFileSync(join(dir, 'orphan.test.yaml'), 'tests:\n  - name: x\n    expect: { path: [anything] }\n');
    expect(loadTestFile(join(dir, 'orphan.test.yaml')).issues).toEqual([]);
  });
});
