import type { FlowDocument, FlowDraft, FlowPointer, FlowSummary, FlowVersion, IsoTime } from './model.js';

/** Input of {@link FlowRepository.saveDraft}. */
export interface SaveDraftInput {
  flowId: string;
  /** The flow file text as the analyst wrote it. */
  source: string;
  /** The parsed document; its `id` must equal `flowId`. */
  document: FlowDocument;
  by: string;
  /** When the change happened; defaults to the store's clock. */
  at?: IsoTime;
  /**
   * The draft's current ETag. Omit it to create the flow's first draft (fails with
   * `STORE.CONFLICT` if a draft exists); give it to replace the draft (fails with `STORE.CONFLICT`
   * if someone saved in between, `STORE.NOT_FOUND` if the draft is gone).
   */
  etag?: string;
}

/** Input of {@link FlowRepository.publish}. */
export interface PublishInput {
  flowId: string;
  source: string;
  /** The parsed document; its `id` must equal `flowId`. Stored with `version` set to the new number. */
  document: FlowDocument;
  by: string;
  at?: IsoTime;
  /**
   * The version number the caller expects to create. If that version already exists the publish
   * fails with `STORE.IMMUTABLE` (published versions never change); if it is not the next number,
   * with `STORE.CONFLICT`. Omit to take the next number.
   */
  expectedVersion?: number;
  reason?: string;
}

/** Input of {@link FlowRepository.rollback}. */
export interface RollbackInput {
  flowId: string;
  /** An existing version earlier than the live one. */
  toVersion: number;
  by: string;
  at?: IsoTime;
  reason?: string;
  /** The pointer's ETag, to fail with `STORE.CONFLICT` if it moved since it was read. */
  etag?: string;
}

/**
 * Flows: one mutable draft per flow, immutable published versions (1, 2, 3…) and a published
 * pointer per flow saying which version is live. Published versions cannot be changed or deleted
 * through this interface; the pointer records every move (who, when, from, to).
 *
 * Errors (`StoreError`): `STORE.INVALID` for bad input, `STORE.CONFLICT`, `STORE.NOT_FOUND`,
 * `STORE.IMMUTABLE` as documented per method, `STORE.UNAVAILABLE` (retryable) when the database is unreachable.
 */
export interface FlowRepository {
  /** Creates or replaces the flow's draft (see {@link SaveDraftInput.etag}); returns it with its new ETag. */
  saveDraft(input: SaveDraftInput): Promise<FlowDraft>;
  /** The flow's draft, or undefined. */
  getDraft(flowId: string): Promise<FlowDraft | undefined>;
  /** Deletes the draft; with `etag`, only if unchanged (`STORE.CONFLICT`). `STORE.NOT_FOUND` if there is none. */
  deleteDraft(flowId: string, options?: { etag?: string }): Promise<void>;
  /**
   * Creates version `latestVersion + 1` from the given document and makes it live, atomically
   * (a concurrent publish never takes the same number). Returns the new version.
   */
  publish(input: PublishInput): Promise<FlowVersion>;
  /** One published version, or undefined. */
  getVersion(flowId: string, version: number): Promise<FlowVersion | undefined>;
  /** All published versions of a flow, oldest first. */
  listVersions(flowId: string): Promise<FlowVersion[]>;
  /** The live version (what a new call pins), or undefined if the flow was never published. */
  getPublished(flowId: string): Promise<FlowVersion | undefined>;
  /** The published pointer with its history, or undefined if the flow was never published. */
  getPointer(flowId: string): Promise<FlowPointer | undefined>;
  /**
   * Moves the pointer to an earlier version (recorded as `rollback`). `STORE.NOT_FOUND` if the flow
   * or the version does not exist, `STORE.INVALID` if the version is not earlier than the live one.
   */
  rollback(input: RollbackInput): Promise<FlowPointer>;
  /** Every flow that has a draft or a published version, by flow id. */
  list(): Promise<FlowSummary[]>;
}
