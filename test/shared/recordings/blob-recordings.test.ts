// The Blob Storage recording store against Azurite (the official emulator) in-process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startAzuriteBlob, type AzuriteBlob } from '../../../local/azurite.js';
import {
  createBlobRecordingStore,
  unconfiguredRecordingStore,
} from '../../../shared/recordings/blob-recordings.js';

let azurite: AzuriteBlob;
beforeAll(async () => {
  azurite = await startAzuriteBlob({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'blob-rec-')) });
});
afterAll(async () => {
  await azurite?.stop();
});

describe('createBlobRecordingStore', () => {
  it('creates the container, stores the audio under <callId>/<name>.wav and returns its URL', async () => {
    const store = createBlobRecordingStore({
      connectionString: azurite.connectionString,
      container: 'voicemail',
    });
    const data = new Uint8Array([82, 73, 70, 70, 1, 2, 3, 4]);
    const saved = await store.save({ callId: 'call-1', name: 'voicemail#3', contentType: 'audio/wav', data });
    expect(saved).toEqual({ url: `${azurite.blobEndpoint}/voicemail/call-1/voicemail_3.wav`, bytes: 8 });
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient('voicemail')
      .getBlobClient('call-1/voicemail_3.wav');
    const props = await blob.getProperties();
    expect(props.contentType).toBe('audio/wav');
    expect(new Uint8Array(await blob.downloadToBuffer())).toEqual(data);
    // Idempotent: a retried save overwrites the same blob.
    expect(
      (await store.save({ callId: 'call-1', name: 'voicemail#3', contentType: 'audio/wav', data })).url,
    ).toBe(saved.url);
  });

  it('reports unreachable storage as retryable RECORDINGS.UNAVAILABLE', async () => {
    const store = createBlobRecordingStore({
      connectionString: azurite.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'),
      container: 'voicemail',
      maxTries: 1,
    });
    await expect(
      store.save({ callId: 'c', name: 'n', contentType: 'audio/wav', data: new Uint8Array([1]) }),
    ).rejects.toMatchObject({ code: 'RECORDINGS.UNAVAILABLE', retryable: true });
  });

  it('refuses a bad connection string, and saves nothing when unconfigured', async () => {
    expect(() => createBlobRecordingStore({ connectionString: 'nonsense', container: 'v' })).toThrow(
      expect.objectContaining({ code: 'RECORDINGS.NOT_CONFIGURED' }) as Error,
    );
    await expect(
      unconfiguredRecordingStore().save({
        callId: 'c',
        name: 'n',
        contentType: 'audio/wav',
        data: new Uint8Array(),
      }),
    ).rejects.toMatchObject({ code: 'RECORDINGS.NOT_CONFIGURED' });
  });
});
