/**
 * Activity `saveRecording`: fetches the voicemail Graph recorded (`recordingLocation`, with
 * `Authorization: Bearer <recordingAccessToken>`; call-record: the location is valid only until
 * the call ends, so it is fetched at once), stores it in Blob Storage through the
 * {@link RecordingStore} port and links it from the call record (`voicemail`).
 *
 * Only `https:` locations, or `http:` on loopback (the Graph simulator), are fetched; answers
 * larger than {@link MAX_RECORDING_BYTES} are refused. Errors are values (`ok: false`), except
 * retryable faults (storage or the recording host unreachable / 5xx), which throw so Durable
 * retries the activity (fetch and upload are both safe to repeat). The token is never logged.
 */
import { AppError } from '../../shared/errors/app-error.js';
import type { RecordingStore } from '../../shared/recordings/recordings.port.js';
import type { Store } from '../../shared/store/index.js';
import type { SaveRecordingActivityInput, SaveRecordingActivityOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';
import { appendQuietly } from './timeline.js';

/** Largest recording accepted, bytes (an hour of 16 kHz 16-bit mono PCM is 115 MB; voicemail is minutes). */
export const MAX_RECORDING_BYTES = 64 * 1024 * 1024;

/** Dependencies of {@link createSaveRecordingActivity}. */
export interface SaveRecordingDeps {
  store: Store;
  recordings: RecordingStore;
  fetch?: typeof fetch;
  /** Per-attempt download timeout, ms (default 30 000). */
  timeoutMs?: number;
}

function allowedLocation(location: string): URL {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new AppError('RECORDINGS.BAD_LOCATION', 'recordingLocation is not a URL');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new AppError('RECORDINGS.BAD_LOCATION', `recordingLocation scheme ${url.protocol} is not allowed`);
}

/** Builds `saveRecording`. */
export function createSaveRecordingActivity(deps: SaveRecordingDeps): ActivityFn<'saveRecording'> {
  const fetchImpl = deps.fetch ?? globalThis.fetch;
  const timeoutMs = deps.timeoutMs ?? 30_000;
  return async (input: SaveRecordingActivityInput, log): Promise<SaveRecordingActivityOutput> => {
    const started = Date.now();
    try {
      const url = allowedLocation(input.recordingLocation);
      let res: Response;
      try {
        res = await fetchImpl(url, {
          headers: { authorization: `Bearer ${input.recordingAccessToken}` },
          redirect: 'error',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new AppError('RECORDINGS.DOWNLOAD_UNAVAILABLE', 'the recording could not be downloaded', {
          retryable: true,
          cause: err,
        });
      }
      if (!res.ok) {
        const retryable = res.status === 429 || res.status >= 500;
        throw new AppError(
          retryable ? 'RECORDINGS.DOWNLOAD_UNAVAILABLE' : 'RECORDINGS.DOWNLOAD_FAILED',
          `the recording download answered ${res.status}`,
          { retryable, metadata: { status: res.status } },
        );
      }
      const length = Number(res.headers.get('content-length') ?? '0');
      if (length > MAX_RECORDING_BYTES)
        throw new AppError('RECORDINGS.TOO_LARGE', `recording is ${length} bytes`);
      const data = new Uint8Array(await res.arrayBuffer());
      if (data.byteLength > MAX_RECORDING_BYTES)
        throw new AppError('RECORDINGS.TOO_LARGE', `recording is ${data.byteLength} bytes`);
      const contentType = res.headers.get('content-type')?.split(';')[0]?.trim() || 'audio/wav';
      const saved = await deps.recordings.save({
        callId: input.callId,
        name: input.commandId,
        contentType,
        data,
      });
      await Promise.all([
        deps.store.calls
          .mutate(input.callId, () => ({ voicemail: { url: saved.url, contentType } }))
          .catch((err: unknown) => log?.(`call record update failed: ${String(err)}`)),
        appendQuietly(
          deps.store,
          [
            {
              callId: input.callId,
              at: new Date(started).toISOString(),
              kind: 'voicemail',
              durationMs: Date.now() - started,
              data: { url: saved.url, bytes: saved.bytes, commandId: input.commandId },
            },
          ],
          log,
        ),
      ]);
      return { ok: true, url: saved.url, bytes: saved.bytes };
    } catch (err) {
      if (err instanceof AppError && !err.retryable)
        return { ok: false, code: err.code, message: err.message };
      throw err;
    }
  };
}

registerActivity('saveRecording', (s) => createSaveRecordingActivity(s));
