/**
 * The {@link RecordingStore} on Azure Blob Storage (`@azure/storage-blob`), from a storage
 * connection string (production account, or Azurite, the official emulator, locally:
 * `UseDevelopmentStorage=true` or `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;...;BlobEndpoint=http://127.0.0.1:PORT/devstoreaccount1;`).
 *
 * Blobs are block blobs named `<callId>/<name>.wav` in one container (created on first use, no
 * public access). The URL returned carries no SAS: readers (ops console) get their own.
 */
import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';

import { AppError } from '../errors/app-error.js';
import type { RecordingStore, SaveRecordingInput, SavedRecording } from './recordings.port.js';

/** Options of {@link createBlobRecordingStore}. */
export interface BlobRecordingStoreOptions {
  /** Azure Storage connection string (`RECORDINGS_STORAGE_CONNECTION`). */
  connectionString: string;
  /** Container name (`RECORDINGS_CONTAINER`, default `voicemail`): 3–63 lowercase letters, digits, `-`. */
  container: string;
  /** Attempts per storage request (the SDK's exponential retry; default 4). */
  maxTries?: number;
}

/** Blob names keep to a safe alphabet: ids and command ids (`menu#3`) become `menu_3`. */
function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || '_';
}

/**
 * Creates the Blob Storage recording store. Throws `RECORDINGS.NOT_CONFIGURED` when the
 * connection string cannot be parsed; storage errors surface from `save` (see the port).
 */
export function createBlobRecordingStore(options: BlobRecordingStoreOptions): RecordingStore {
  let container: ContainerClient;
  try {
    container = BlobServiceClient.fromConnectionString(options.connectionString, {
      retryOptions: { maxTries: options.maxTries ?? 4 },
    }).getContainerClient(options.container);
  } catch (err) {
    throw new AppError(
      'RECORDINGS.NOT_CONFIGURED',
      'RECORDINGS_STORAGE_CONNECTION is not a valid connection string',
      {
        cause: err,
      },
    );
  }
  let ready: Promise<unknown> | undefined;
  const ensureContainer = (): Promise<unknown> => {
    ready ??= container.createIfNotExists().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  return {
    async save(input: SaveRecordingInput): Promise<SavedRecording> {
      const blobName = `${safeSegment(input.callId)}/${safeSegment(input.name)}.wav`;
      try {
        await ensureContainer();
        const blob = container.getBlockBlobClient(blobName);
        await blob.uploadData(input.data, { blobHTTPHeaders: { blobContentType: input.contentType } });
        return { url: blob.url, bytes: input.data.byteLength };
      } catch (err) {
        const status = err instanceof RestError ? err.statusCode : undefined;
        const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
        throw new AppError(
          retryable ? 'RECORDINGS.UNAVAILABLE' : 'RECORDINGS.FAILED',
          `storing the recording failed${status === undefined ? '' : ` (${status})`}`,
          { retryable, cause: err, metadata: status === undefined ? {} : { status } },
        );
      }
    },
  };
}

/** A store that refuses every save: used when no storage is configured (`RECORDINGS.NOT_CONFIGURED`). */
export function unconfiguredRecordingStore(): RecordingStore {
  return {
    save(): Promise<SavedRecording> {
      return Promise.reject(
        new AppError(
          'RECORDINGS.NOT_CONFIGURED',
          'no recording storage configured: set RECORDINGS_STORAGE_CONNECTION',
        ),
      );
    },
  };
}
