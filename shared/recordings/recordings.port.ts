/**
 * Voicemail recordings: where the audio a caller left is kept once Graph's short-lived
 * `recordingLocation` has been fetched (Graph discards it after the call; call-record doc,
 * "recordingAccessToken"). Production stores them in Azure Blob Storage
 * (`blob-recordings.ts`); tests may use any implementation of this port.
 */

/** What {@link RecordingStore.save} stores. */
export interface SaveRecordingInput {
  /** The Graph call id (the blob is named under it). */
  callId: string;
  /** A name unique within the call, e.g. the record command id `voicemail#4`. */
  name: string;
  /** MIME type, `audio/wav` for Graph recordings. */
  contentType: string;
  /** The audio bytes. */
  data: Uint8Array;
}

/** Where a recording was stored. */
export interface SavedRecording {
  /** The blob URL, without any SAS token (readers need their own credentials). */
  url: string;
  /** Size in bytes. */
  bytes: number;
}

/**
 * Stores recordings. `save` is idempotent for the same (`callId`, `name`): a retried activity
 * overwrites the same blob. Errors: `RECORDINGS.NOT_CONFIGURED` (no storage configured),
 * `RECORDINGS.UNAVAILABLE` (retryable: storage unreachable or 5xx), `RECORDINGS.FAILED`.
 */
export interface RecordingStore {
  save(input: SaveRecordingInput): Promise<SavedRecording>;
}
