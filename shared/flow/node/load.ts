/**
 * File-system side of the flow tools (not replay-deterministic, so outside the lint's pure zone):
 * reading flow files, their `*.test.yaml` scenarios, `numbers.yaml`, WAV headers of prompt audio,
 * and expanding folders. Used by the CLI, the bench and (later) the flows API.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';

import wavefile from 'wavefile';

import { AppError } from '../../errors/app-error.js';
import type { FlowIssue } from '../parse.js';
import type { Flow, Scenario } from '../schema.js';
import {
  validateFlowSource,
  validateNumbersSource,
  validateTestFileSource,
  type ValidateOptions,
} from '../validate.js';

/** Largest audio file read for a header check (bytes). */
const MAX_AUDIO_BYTES = 50 * 1024 * 1024;

/**
 * Checks that `audio` (a path relative to `baseDir`, or a URI) is what Graph plays:
 * RIFF/WAVE, PCM (format 1), 16 kHz, 16-bit, mono (Graph `mediaInfo`, "prompts must be WAV
 * 16 kHz 16-bit mono PCM"). URIs cannot be checked offline and pass.
 */
export function checkWavFile(audio: string, baseDir: string): { code: string; message: string } | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(audio)) {
    return /^https:\/\//i.test(audio)
      ? undefined
      : { code: 'FLOW.AUDIO_FORMAT', message: 'audio URIs must be https' };
  }
  const file = resolve(baseDir, audio);
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return { code: 'FLOW.AUDIO_MISSING', message: `audio "${audio}" is not a file` };
    size = st.size;
  } catch {
    return { code: 'FLOW.AUDIO_MISSING', message: `audio file "${audio}" not found` };
  }
  if (size > MAX_AUDIO_BYTES)
    return { code: 'FLOW.AUDIO_FORMAT', message: `audio "${audio}" is larger than ${MAX_AUDIO_BYTES} bytes` };
  try {
    const wav = new wavefile.WaveFile();
    wav.fromBuffer(readFileSync(file), false);
    const fmt = wav.fmt as {
      audioFormat?: number;
      numChannels?: number;
      sampleRate?: number;
      bitsPerSample?: number;
    };
    const got = `format ${fmt.audioFormat}, ${fmt.sampleRate} Hz, ${fmt.bitsPerSample}-bit, ${fmt.numChannels} channel(s)`;
    if (
      fmt.audioFormat !== 1 ||
      fmt.sampleRate !== 16000 ||
      fmt.bitsPerSample !== 16 ||
      fmt.numChannels !== 1
    )
      return {
        code: 'FLOW.AUDIO_FORMAT',
        message: `audio "${audio}" must be 16 kHz 16-bit mono PCM WAV; it is ${got}`,
      };
  } catch {
    return { code: 'FLOW.AUDIO_FORMAT', message: `audio "${audio}" is not a WAV file` };
  }
  return undefined;
}

/** Reads a text file, refusing non-files; throws AppError FLOW.FILE_NOT_FOUND / FLOW.FILE_UNREADABLE. */
export function readText(file: string): string {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new AppError('FLOW.FILE_NOT_FOUND', `${file}: no such file`);
  }
  if (!st.isFile()) throw new AppError('FLOW.FILE_UNREADABLE', `${file}: not a file`);
  // Read a little past the limit so the validator reports TOO_LARGE instead of us reading 1 GB.
  if (st.size > 20 * 1024 * 1024) return 'x'.repeat(20 * 1024 * 1024);
  return readFileSync(file, 'utf8');
}

/** A loaded flow file: validation issues, the flow when valid, and its scenarios (inline + `*.test.yaml`). */
export interface LoadedFlow {
  file: string;
  flow?: Flow;
  issues: FlowIssue[];
  scenarios: { scenario: Scenario; file: string }[];
}

/** The `*.test.yaml` beside a flow file (`main-line.yaml` -> `main-line.test.yaml`). */
export function testFileFor(flowFile: string): string {
  const ext = extname(flowFile);
  return join(dirname(flowFile), `${basename(flowFile, ext)}.test${ext === '.json' ? '.yaml' : ext}`);
}

/** Loads and validates a flow file with its scenarios. Never throws for bad content. */
export function loadFlowFile(
  file: string,
  options: Omit<ValidateOptions, 'file' | 'checkAudio'> = {},
): LoadedFlow {
  const text = readText(file);
  const base = dirname(resolve(file));
  const res = validateFlowSource(text, { ...options, file, checkAudio: (a) => checkWavFile(a, base) });
  const scenarios = (res.flow?.tests ?? []).map((scenario) => ({ scenario, file }));
  const issues = [...res.issues];
  const testFile = testFileFor(file);
  if (existsSync(testFile)) {
    const t = validateTestFileSource(readText(testFile), testFile, res.flow);
    issues.push(...t.issues);
    for (const scenario of t.tests ?? []) scenarios.push({ scenario, file: testFile });
  }
  return { file, ...(res.flow ? { flow: res.flow } : {}), issues, scenarios };
}

/** True for files that are flows (not test files, not numbers.yaml). */
export function isFlowFile(file: string): boolean {
  const b = basename(file);
  return (
    /\.(ya?ml|json)$/i.test(b) &&
    !/\.test\.ya?ml$/i.test(b) &&
    !/^numbers\.ya?ml$/i.test(b) &&
    !b.startsWith('.')
  );
}

/** Expands files and folders (one level) into flow files, sorted; throws AppError FLOW.FILE_NOT_FOUND. */
export function expandFlowPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new AppError('FLOW.FILE_NOT_FOUND', `${p}: no such file or folder`);
    }
    if (st.isDirectory())
      out.push(
        ...readdirSync(p)
          .filter(isFlowFile)
          .sort()
          .map((f) => join(p, f)),
      );
    else out.push(p);
  }
  return out;
}

/** Validates a `numbers.yaml`, checking flow ids against the flows in its folder. */
export function loadNumbersFile(file: string): { numbers?: Record<string, string>; issues: FlowIssue[] } {
  const dir = dirname(file);
  const ids = new Set<string>();
  for (const f of readdirSync(dir).filter(isFlowFile)) {
    const r = validateFlowSource(readText(join(dir, f)), { file: join(dir, f) });
    const id = r.flow?.id;
    if (id !== undefined) ids.add(id);
  }
  return validateNumbersSource(readText(file), file, ids);
}

/**
 * Validates a `*.test.yaml` file; when its flow (the `flow:` field, else the same name without
 * `.test`) exists and is valid, also checks that the scenarios name its steps and prompts.
 */
export function loadTestFile(file: string): { issues: FlowIssue[]; scenarios: Scenario[] } {
  const text = readText(file);
  const first = validateTestFileSource(text, file);
  const stem = basename(file).replace(/\.test\.ya?ml$/i, '');
  const candidates =
    first.flowPath !== undefined
      ? [join(dirname(file), first.flowPath)]
      : ['.yaml', '.yml', '.json'].map((e) => join(dirname(file), stem + e));
  const flowFile = candidates.find((c) => existsSync(c));
  const flow =
    flowFile === undefined ? undefined : validateFlowSource(readText(flowFile), { file: flowFile }).flow;
  const res = flow ? validateTestFileSource(text, file, flow) : first;
  return { issues: res.issues, scenarios: res.tests ?? [] };
}
