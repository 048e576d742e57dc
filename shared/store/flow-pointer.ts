/**
 * The rules of publishing and rolling back a flow that both store adapters (embedded SQLite and
 * Cosmos DB) follow, so that they accept, number and record exactly the same things: input
 * checks, the next version number, and the pointer-history entry of each move. The adapters keep
 * only their storage (a SQLite transaction, a Cosmos batch with ETags).
 */
import type { PublishInput, RollbackInput } from './flows.port.js';
import type { FlowDocument, IsoTime, PointerChange } from './model.js';
import { StoreError, StoreErrorCode, invalid } from './store-error.js';
import {
  POINTER_HISTORY_LIMIT,
  checkFlowDocument,
  checkId,
  checkPositiveInt,
  checkSource,
  checkText,
  timeOrNow,
} from './validate.js';

/** A checked {@link PublishInput}: `at` filled from the clock when absent. */
export interface CheckedPublish {
  flowId: string;
  source: string;
  document: FlowDocument;
  by: string;
  at: IsoTime;
  expectedVersion: number | undefined;
  reason: string | undefined;
}

/** A checked {@link RollbackInput}: `at` filled from the clock when absent. */
export interface CheckedRollback {
  flowId: string;
  toVersion: number;
  by: string;
  at: IsoTime;
  reason: string | undefined;
  etag: string | undefined;
}

/** Checks a publish request (`where` names the operation in errors). Throws `STORE.INVALID`. */
export function checkPublishInput(where: string, input: PublishInput, now: () => Date): CheckedPublish {
  const flowId = checkId(where, 'flowId', input?.flowId);
  return {
    flowId,
    source: checkSource(where, input.source),
    document: checkFlowDocument(where, flowId, input.document),
    by: checkText(where, 'by', input.by, 200),
    at: timeOrNow(where, input.at, now),
    expectedVersion:
      input.expectedVersion === undefined
        ? undefined
        : checkPositiveInt(where, 'expectedVersion', input.expectedVersion),
    reason: input.reason === undefined ? undefined : checkText(where, 'reason', input.reason, 1000),
  };
}

/** Checks a rollback request (`where` names the operation in errors). Throws `STORE.INVALID`. */
export function checkRollbackInput(where: string, input: RollbackInput, now: () => Date): CheckedRollback {
  const flowId = checkId(where, 'flowId', input?.flowId);
  const checked: CheckedRollback = {
    flowId,
    toVersion: checkPositiveInt(where, 'toVersion', input.toVersion),
    by: checkText(where, 'by', input.by, 200),
    at: timeOrNow(where, input.at, now),
    reason: input.reason === undefined ? undefined : checkText(where, 'reason', input.reason, 1000),
    etag: input.etag === undefined ? undefined : checkText(where, 'etag', input.etag, 200),
  };
  return checked;
}

/**
 * The number a publish creates after `latestVersion` (0 when never published). Throws
 * `STORE.IMMUTABLE` when `expectedVersion` already exists (published versions never change) and
 * `STORE.CONFLICT` when it is not the next number.
 */
export function nextPublishedVersion(
  where: string,
  flowId: string,
  latestVersion: number,
  expectedVersion: number | undefined,
): number {
  const version = latestVersion + 1;
  if (expectedVersion !== undefined && expectedVersion <= latestVersion)
    throw new StoreError(
      StoreErrorCode.Immutable,
      `${where}: version ${expectedVersion} is already published and cannot change`,
      { metadata: { where, flowId, version: expectedVersion } },
    );
  if (expectedVersion !== undefined && expectedVersion !== version)
    throw new StoreError(
      StoreErrorCode.Conflict,
      `${where}: the next version is ${version}, not ${expectedVersion}`,
      {
        metadata: { where, flowId, expectedVersion, nextVersion: version },
      },
    );
  return version;
}

/** Throws `STORE.INVALID` unless a rollback target is earlier than the live version. */
export function checkRollbackTarget(where: string, toVersion: number, liveVersion: number): void {
  if (toVersion >= liveVersion)
    throw invalid(where, 'toVersion', `must be earlier than the live version (${liveVersion})`);
}

/**
 * `history` with the pointer move `from -> to` appended (kept to the last
 * {@link POINTER_HISTORY_LIMIT} entries, oldest dropped first).
 */
export function withPointerChange(
  history: readonly PointerChange[] | undefined,
  move: {
    kind: PointerChange['kind'];
    fromVersion: number | null;
    toVersion: number;
    by: string;
    at: IsoTime;
    reason: string | undefined;
  },
): PointerChange[] {
  const change: PointerChange = {
    kind: move.kind,
    fromVersion: move.fromVersion,
    toVersion: move.toVersion,
    by: move.by,
    at: move.at,
    ...(move.reason === undefined ? {} : { reason: move.reason }),
  };
  return [...(history ?? []), change].slice(-POINTER_HISTORY_LIMIT);
}
