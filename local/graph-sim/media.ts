/**
 * Prompt audio as Graph's service-hosted media sees it: playPrompt and recordResponse take
 * `mediaPrompt`s whose `mediaInfo.uri` must point at a WAV file, 16 kHz, 16-bit, mono PCM
 * (https://learn.microsoft.com/graph/api/resources/mediainfo). The simulator loads each prompt,
 * checks the format and derives how long it plays. It never fetches beyond this machine: only
 * `file:` URIs, paths relative to the prompt directory and http(s) on 127.0.0.1/localhost.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';

/** Why a prompt cannot be played; `subcode` follows the media platform's result codes (approximated). */
export class PromptError extends Error {
  constructor(
    readonly subcode: number,
    message: string,
  ) {
    super(message);
    this.name = 'PromptError';
  }
}

/** Subcode when the prompt cannot be downloaded (unreachable, not local, missing file). */
export const SUBCODE_PROMPT_DOWNLOAD_FAILED = 8536;
/** Subcode when the prompt is not a 16 kHz 16-bit mono PCM WAV. */
export const SUBCODE_PROMPT_FORMAT_INVALID = 8535;

/** A prompt ready to "play". */
export interface LoadedPrompt {
  uri: string;
  /** Playback length, simulated ms. */
  durationMs: number;
  /** Text of the prompt when known (the `text` extension field or a `.txt` file next to a `file:` WAV). */
  text?: string | undefined;
}

/** Options for {@link loadPrompt}. */
export interface PromptLoaderOptions {
  /** Directory that relative URIs (`prompts/welcome.wav`) resolve against. */
  promptBaseDir?: string | undefined;
  /** Replaces the built-in loader (file: and loopback http). Reject to signal "not reachable". */
  fetchPrompt?: ((uri: string) => Promise<Buffer>) | undefined;
  /** Speaking rate for text-only prompts, words per minute (default 150). */
  speakingRateWpm?: number | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

async function defaultFetch(
  uri: string,
  baseDir: string | undefined,
): Promise<{ bytes: Buffer; filePath?: string }> {
  let url: URL | undefined;
  try {
    url = new URL(uri);
  } catch {
    url = undefined;
  }
  if (url === undefined || /^[a-zA-Z]:[\\/]/.test(uri)) {
    if (baseDir === undefined)
      throw new PromptError(
        SUBCODE_PROMPT_DOWNLOAD_FAILED,
        `relative prompt uri '${uri}' but no promptBaseDir is configured`,
      );
    const filePath = path.resolve(baseDir, uri);
    return { bytes: await readFile(filePath), filePath };
  }
  if (url.protocol === 'file:') {
    const filePath = fileURLToPath(url);
    return { bytes: await readFile(filePath), filePath };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    if (!LOOPBACK.has(url.hostname)) {
      throw new PromptError(
        SUBCODE_PROMPT_DOWNLOAD_FAILED,
        `prompt host '${url.hostname}' is not reachable from the simulator (loopback only)`,
      );
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok)
      throw new PromptError(SUBCODE_PROMPT_DOWNLOAD_FAILED, `prompt download answered HTTP ${res.status}`);
    return { bytes: Buffer.from(await res.arrayBuffer()) };
  }
  throw new PromptError(SUBCODE_PROMPT_DOWNLOAD_FAILED, `unsupported prompt uri scheme '${url.protocol}'`);
}

/**
 * Checks that `bytes` are a 16 kHz, 16-bit, mono PCM WAV and returns its duration in ms.
 * Throws {@link PromptError} (subcode 8535) otherwise.
 */
export function wavDurationMs(bytes: Uint8Array): number {
  const wav = new wavefile.WaveFile();
  try {
    wav.fromBuffer(bytes, false);
  } catch (err) {
    throw new PromptError(
      SUBCODE_PROMPT_FORMAT_INVALID,
      `prompt is not a WAV file (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const fmt = wav.fmt as {
    audioFormat?: number;
    numChannels?: number;
    sampleRate?: number;
    bitsPerSample?: number;
  };
  const data = wav.data as { chunkSize?: number };
  if (
    fmt.audioFormat !== 1 ||
    fmt.sampleRate !== 16000 ||
    fmt.bitsPerSample !== 16 ||
    fmt.numChannels !== 1
  ) {
    throw new PromptError(
      SUBCODE_PROMPT_FORMAT_INVALID,
      `prompt must be 16 kHz 16-bit mono PCM WAV, got format ${String(fmt.audioFormat)}, ${String(fmt.sampleRate)} Hz, ${String(fmt.bitsPerSample)}-bit, ${String(fmt.numChannels)} channel(s)`,
    );
  }
  return Math.round(((data.chunkSize ?? 0) / (16000 * 2)) * 1000);
}

/** How long `text` takes to say at `wpm` words per minute, ms (at least 300 ms). */
export function speechDurationMs(text: string, wpm = 150): number {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '').length;
  return Math.max(300, Math.round((words / wpm) * 60_000));
}

/**
 * Loads one `mediaPrompt`'s media: `{ mediaInfo: { uri, resourceId }, text? }`. A prompt with
 * `text` and no uri is "spoken" at the speaking rate (a simulator extension for flows under
 * development; Graph v1.0 itself only plays WAV). Throws {@link PromptError}.
 */
export async function loadPrompt(prompt: unknown, options: PromptLoaderOptions): Promise<LoadedPrompt> {
  const p = (prompt ?? {}) as { mediaInfo?: { uri?: unknown }; text?: unknown };
  const uri = typeof p.mediaInfo?.uri === 'string' ? p.mediaInfo.uri : undefined;
  const extText = typeof p.text === 'string' ? p.text : undefined;
  if (uri === undefined || uri === '') {
    if (extText !== undefined)
      return { uri: '', durationMs: speechDurationMs(extText, options.speakingRateWpm), text: extText };
    throw new PromptError(SUBCODE_PROMPT_DOWNLOAD_FAILED, 'prompt has no mediaInfo.uri');
  }
  let bytes: Buffer;
  let filePath: string | undefined;
  try {
    if (options.fetchPrompt) bytes = await options.fetchPrompt(uri);
    else ({ bytes, filePath } = await defaultFetch(uri, options.promptBaseDir));
  } catch (err) {
    if (err instanceof PromptError) throw err;
    throw new PromptError(
      SUBCODE_PROMPT_DOWNLOAD_FAILED,
      `prompt could not be downloaded (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const durationMs = wavDurationMs(bytes);
  let text = extText;
  if (text === undefined && filePath !== undefined) {
    text = await readFile(filePath.replace(/\.wav$/i, '.txt'), 'utf8').then(
      (t) => t.trim(),
      () => undefined,
    );
  }
  return { uri, durationMs, text };
}

/**
 * Generates a 16 kHz 16-bit mono PCM WAV of `durationMs`: a quiet 440 Hz tone for `speechMs`
 * (the caller "talking") followed by silence. Used as the recording behind `recordingLocation`.
 */
export function generateRecordingWav(durationMs: number, speechMs: number): Buffer {
  const total = Math.max(0, Math.round((durationMs / 1000) * 16000));
  const speech = Math.min(total, Math.max(0, Math.round((speechMs / 1000) * 16000)));
  const samples = new Int16Array(total);
  for (let i = 0; i < speech; i++) samples[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 16000));
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, 16000, '16', samples);
  return Buffer.from(wav.toBuffer());
}
