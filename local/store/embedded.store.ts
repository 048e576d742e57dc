/**
 * The embedded store for `npm start` and the tests: the same repositories as the Cosmos DB adapter
 * (`shared/store/cosmos/`), persisted to one SQLite file `store.sqlite` under `dataDir` through
 * `node-sqlite3-wasm` (pure WASM, synchronous, no native build; ../shared/notes/local-runtime.md Q7).
 *
 * Same semantics as Cosmos DB: opaque ETags checked on every conditional write (`STORE.CONFLICT`,
 * nothing overwritten), published flow versions that cannot change (the API offers no way, and
 * SQLite triggers refuse UPDATE/DELETE on them), opaque continuation tokens, and timeline TTL (events
 * past their expiry are never returned and are deleted by a sweep at open, hourly, and on
 * `timelines.purgeExpired()`). Every multi-row write runs in one transaction, so a failed write
 * leaves nothing half-done. One process owns the file at a time.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sqlite, { type Database, type Statement } from 'node-sqlite3-wasm';
import { mutateCall } from '../../shared/store/call-mutate.js';
import type { CallRepository } from '../../shared/store/calls.port.js';
import type {
  FlowRepository,
  PublishInput,
  RollbackInput,
  SaveDraftInput,
} from '../../shared/store/flows.port.js';
import type {
  BindingChange,
  CallChanges,
  CallQuery,
  CallRecord,
  FlowDraft,
  FlowPointer,
  FlowSummary,
  FlowVersion,
  NewCallRecord,
  NewTimelineEvent,
  NumberBinding,
  Page,
  TimelineEvent,
} from '../../shared/store/model.js';
import {
  checkPublishInput,
  checkRollbackInput,
  checkRollbackTarget,
  nextPublishedVersion,
  withPointerChange,
} from '../../shared/store/flow-pointer.js';
import type { BindInput, NumberRepository } from '../../shared/store/numbers.port.js';
import { StoreError, StoreErrorCode, invalid } from '../../shared/store/store-error.js';
import type { Store, StoreOptions } from '../../shared/store/store.port.js';
import type { TimelineRepository } from '../../shared/store/timelines.port.js';
import {
  BINDING_HISTORY_LIMIT,
  checkCallChanges,
  checkCallQuery,
  checkE164,
  checkFlowDocument,
  checkId,
  checkNewCall,
  checkPositiveInt,
  checkSource,
  checkText,
  checkTimelineEvent,
  checkTtlDays,
  compareTimeline,
  decodeContinuation,
  encodeContinuation,
  timeOrNow,
  timelineEventId,
} from '../../shared/store/validate.js';

/** Options of {@link createEmbeddedStore}. */
export interface EmbeddedStoreOptions extends StoreOptions {
  /** Directory holding `store.sqlite` (created if missing). */
  dataDir: string;
  /** How often expired timeline events are swept, in ms (default 1 hour; 0 = only at open and on demand). */
  sweepIntervalMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS flow_drafts (flow_id TEXT PRIMARY KEY, doc TEXT NOT NULL, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS flow_versions (
  flow_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (flow_id, version));
CREATE TRIGGER IF NOT EXISTS flow_versions_immutable_update BEFORE UPDATE ON flow_versions
  BEGIN SELECT RAISE(ABORT, 'published flow versions are immutable'); END;
CREATE TRIGGER IF NOT EXISTS flow_versions_immutable_delete BEFORE DELETE ON flow_versions
  BEGIN SELECT RAISE(ABORT, 'published flow versions are immutable'); END;
CREATE TABLE IF NOT EXISTS flow_pointers (flow_id TEXT PRIMARY KEY, doc TEXT NOT NULL, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS number_bindings (
  number TEXT PRIMARY KEY, bound INTEGER NOT NULL, flow_id TEXT NOT NULL, doc TEXT NOT NULL, etag TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calls (
  call_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, from_number TEXT NOT NULL, to_number TEXT NOT NULL,
  flow_id TEXT, outcome_kind TEXT, status TEXT NOT NULL, doc TEXT NOT NULL, etag TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS calls_by_start ON calls (started_at DESC, call_id DESC);
CREATE TABLE IF NOT EXISTS timeline_events (
  ord INTEGER PRIMARY KEY AUTOINCREMENT, call_id TEXT NOT NULL, id TEXT NOT NULL, at TEXT NOT NULL, seq INTEGER,
  expires_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (call_id, id));
CREATE INDEX IF NOT EXISTS timeline_by_expiry ON timeline_events (expires_at);
`;

type Row = Record<string, unknown>;

/** The SQLite file, its cached statements, and helpers every repository uses. */
class Db {
  readonly #db: Database;
  readonly #statements = new Map<string, Statement>();

  constructor(file: string) {
    // node-sqlite3-wasm is CommonJS: under plain Node ESM only its default export is reliable.
    this.#db = new sqlite.Database(file);
    // One process owns the file (exclusive lock), which lets SQLite use WAL without shared memory
    // (the WASM VFS has none): commits survive a process crash and cost ~20 µs instead of an fsync
    // each (~11 ms with a rollback journal). Another connection to the file must also set
    // `PRAGMA locking_mode = EXCLUSIVE` first, and only once this store is closed.
    this.#db.exec('PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
  }

  get isOpen(): boolean {
    return this.#db.isOpen;
  }

  #statement(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  run(sql: string, values: unknown[] = []): number {
    return this.#statement(sql).run(values as never).changes;
  }

  get(sql: string, values: unknown[] = []): Row | undefined {
    return (this.#statement(sql).get(values as never) as Row | null) ?? undefined;
  }

  all(sql: string, values: unknown[] = []): Row[] {
    return this.#statement(sql).all(values as never);
  }

  /** Runs `fn` in one transaction: all of its writes or none. */
  transaction<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    for (const statement of this.#statements.values()) if (!statement.isFinalized) statement.finalize();
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Runs a synchronous store operation, turning SQLite failures into `StoreError`s. */
function guard<T>(where: string, db: Db, fn: () => T): Promise<T> {
  try {
    if (!db.isOpen)
      throw new StoreError(StoreErrorCode.Unavailable, `${where}: the store is closed`, {
        metadata: { where },
      });
    return Promise.resolve(fn());
  } catch (err) {
    if (err instanceof StoreError) return Promise.reject(err);
    const message = err instanceof Error ? err.message : String(err);
    if (/immutable/.test(message))
      return Promise.reject(
        new StoreError(StoreErrorCode.Immutable, `${where}: published flow versions are immutable`, {
          metadata: { where },
          cause: err,
        }),
      );
    if (/UNIQUE constraint/.test(message))
      return Promise.reject(
        new StoreError(StoreErrorCode.Conflict, `${where}: already exists`, {
          metadata: { where },
          cause: err,
        }),
      );
    return Promise.reject(
      new StoreError(StoreErrorCode.Unavailable, `${where}: the embedded store failed`, {
        metadata: { where },
        cause: err,
      }),
    );
  }
}

const newEtag = (): string => `"${randomUUID()}"`;
const parse = <T>(row: Row): T => JSON.parse(row.doc as string) as T;

function notFound(where: string, what: string, metadata: Record<string, unknown> = {}): StoreError {
  return new StoreError(StoreErrorCode.NotFound, `${where}: ${what}`, { metadata: { where, ...metadata } });
}

function conflict(where: string, metadata: Record<string, unknown> = {}): StoreError {
  return new StoreError(StoreErrorCode.Conflict, `${where}: changed since it was read (ETag mismatch)`, {
    metadata: { where, ...metadata },
  });
}

class EmbeddedFlows implements FlowRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  saveDraft(input: SaveDraftInput): Promise<FlowDraft> {
    const where = 'flows.saveDraft';
    return guard(where, this.db, () => {
      const flowId = checkId(where, 'flowId', input?.flowId);
      const source = checkSource(where, input.source);
      const document = checkFlowDocument(where, flowId, input.document);
      const by = checkText(where, 'by', input.by, 200);
      const at = timeOrNow(where, input.at, this.now);
      if (input.etag !== undefined) checkText(where, 'etag', input.etag, 200);
      const row = this.db.get('SELECT doc, etag FROM flow_drafts WHERE flow_id = ?', [flowId]);
      const etag = newEtag();
      if (input.etag === undefined) {
        if (row)
          throw new StoreError(StoreErrorCode.Conflict, `${where}: already exists`, {
            metadata: { where, flowId },
          });
        const draft = {
          flowId,
          source,
          document,
          createdBy: by,
          createdAt: at,
          updatedBy: by,
          updatedAt: at,
        };
        this.db.run('INSERT INTO flow_drafts (flow_id, doc, etag) VALUES (?, ?, ?)', [
          flowId,
          JSON.stringify(draft),
          etag,
        ]);
        return { ...draft, etag };
      }
      if (!row) throw notFound(where, 'the flow has no draft', { flowId });
      if (row.etag !== input.etag) throw conflict(where, { flowId });
      const draft = { ...parse<FlowDraft>(row), source, document, updatedBy: by, updatedAt: at };
      this.db.run('UPDATE flow_drafts SET doc = ?, etag = ? WHERE flow_id = ?', [
        JSON.stringify(draft),
        etag,
        flowId,
      ]);
      return { ...draft, etag };
    });
  }

  getDraft(flowId: string): Promise<FlowDraft | undefined> {
    const where = 'flows.getDraft';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      const row = this.db.get('SELECT doc, etag FROM flow_drafts WHERE flow_id = ?', [flowId]);
      return row && { ...parse<FlowDraft>(row), etag: row.etag as string };
    });
  }

  deleteDraft(flowId: string, options: { etag?: string } = {}): Promise<void> {
    const where = 'flows.deleteDraft';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      if (options.etag !== undefined) checkText(where, 'etag', options.etag, 200);
      const row = this.db.get('SELECT etag FROM flow_drafts WHERE flow_id = ?', [flowId]);
      if (!row) throw notFound(where, 'the flow has no draft', { flowId });
      if (options.etag !== undefined && row.etag !== options.etag) throw conflict(where, { flowId });
      this.db.run('DELETE FROM flow_drafts WHERE flow_id = ?', [flowId]);
    });
  }

  publish(input: PublishInput): Promise<FlowVersion> {
    const where = 'flows.publish';
    return guard(where, this.db, () => {
      const { flowId, source, document, by, at, expectedVersion, reason } = checkPublishInput(
        where,
        input,
        this.now,
      );
      return this.db.transaction(() => {
        const row = this.db.get('SELECT doc FROM flow_pointers WHERE flow_id = ?', [flowId]);
        const current = row ? parse<Omit<FlowPointer, 'etag'>>(row) : undefined;
        const version = nextPublishedVersion(where, flowId, current?.latestVersion ?? 0, expectedVersion);
        const pointer: Omit<FlowPointer, 'etag'> = {
          flowId,
          liveVersion: version,
          latestVersion: version,
          updatedBy: by,
          updatedAt: at,
          history: withPointerChange(current?.history, {
            kind: 'publish',
            fromVersion: current?.liveVersion ?? null,
            toVersion: version,
            by,
            at,
            reason,
          }),
        };
        const published: FlowVersion = {
          flowId,
          version,
          source,
          document: { ...document, version },
          publishedBy: by,
          publishedAt: at,
        };
        this.db.run('INSERT INTO flow_versions (flow_id, version, doc) VALUES (?, ?, ?)', [
          flowId,
          version,
          JSON.stringify(published),
        ]);
        this.db.run('INSERT OR REPLACE INTO flow_pointers (flow_id, doc, etag) VALUES (?, ?, ?)', [
          flowId,
          JSON.stringify(pointer),
          newEtag(),
        ]);
        return published;
      });
    });
  }

  getVersion(flowId: string, version: number): Promise<FlowVersion | undefined> {
    const where = 'flows.getVersion';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      checkPositiveInt(where, 'version', version);
      const row = this.db.get('SELECT doc FROM flow_versions WHERE flow_id = ? AND version = ?', [
        flowId,
        version,
      ]);
      return row && parse<FlowVersion>(row);
    });
  }

  listVersions(flowId: string): Promise<FlowVersion[]> {
    const where = 'flows.listVersions';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      return this.db
        .all('SELECT doc FROM flow_versions WHERE flow_id = ? ORDER BY version', [flowId])
        .map((r) => parse<FlowVersion>(r));
    });
  }

  getPublished(flowId: string): Promise<FlowVersion | undefined> {
    const where = 'flows.getPublished';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      const row = this.db.get(
        `SELECT v.doc FROM flow_pointers p JOIN flow_versions v
           ON v.flow_id = p.flow_id AND v.version = json_extract(p.doc, '$.liveVersion') WHERE p.flow_id = ?`,
        [flowId],
      );
      return row && parse<FlowVersion>(row);
    });
  }

  getPointer(flowId: string): Promise<FlowPointer | undefined> {
    const where = 'flows.getPointer';
    return guard(where, this.db, () => {
      checkId(where, 'flowId', flowId);
      const row = this.db.get('SELECT doc, etag FROM flow_pointers WHERE flow_id = ?', [flowId]);
      return row && { ...parse<Omit<FlowPointer, 'etag'>>(row), etag: row.etag as string };
    });
  }

  rollback(input: RollbackInput): Promise<FlowPointer> {
    const where = 'flows.rollback';
    return guard(where, this.db, () => {
      const {
        flowId,
        toVersion,
        by,
        at,
        reason,
        etag: expectedEtag,
      } = checkRollbackInput(where, input, this.now);
      return this.db.transaction(() => {
        const row = this.db.get('SELECT doc, etag FROM flow_pointers WHERE flow_id = ?', [flowId]);
        if (!row) throw notFound(where, 'the flow was never published', { flowId });
        if (expectedEtag !== undefined && row.etag !== expectedEtag)
          throw new StoreError(StoreErrorCode.Conflict, `${where}: the pointer moved since it was read`, {
            metadata: { where, flowId },
          });
        const current = parse<Omit<FlowPointer, 'etag'>>(row);
        checkRollbackTarget(where, toVersion, current.liveVersion);
        if (
          !this.db.get('SELECT 1 FROM flow_versions WHERE flow_id = ? AND version = ?', [flowId, toVersion])
        )
          throw notFound(where, `version ${toVersion} does not exist`, { flowId, version: toVersion });
        const pointer = {
          ...current,
          liveVersion: toVersion,
          updatedBy: by,
          updatedAt: at,
          history: withPointerChange(current.history, {
            kind: 'rollback',
            fromVersion: current.liveVersion,
            toVersion,
            by,
            at,
            reason,
          }),
        };
        const etag = newEtag();
        this.db.run('UPDATE flow_pointers SET doc = ?, etag = ? WHERE flow_id = ?', [
          JSON.stringify(pointer),
          etag,
          flowId,
        ]);
        return { ...pointer, etag };
      });
    });
  }

  list(): Promise<FlowSummary[]> {
    return guard('flows.list', this.db, () => {
      const byFlow = new Map<string, FlowSummary>();
      for (const row of this.db.all('SELECT flow_id FROM flow_drafts'))
        byFlow.set(row.flow_id as string, { flowId: row.flow_id as string, hasDraft: true });
      for (const row of this.db.all('SELECT flow_id, doc FROM flow_pointers')) {
        const pointer = parse<FlowPointer>(row);
        const summary = byFlow.get(pointer.flowId) ?? { flowId: pointer.flowId, hasDraft: false };
        summary.liveVersion = pointer.liveVersion;
        summary.latestVersion = pointer.latestVersion;
        byFlow.set(pointer.flowId, summary);
      }
      return [...byFlow.values()].sort((a, b) => (a.flowId < b.flowId ? -1 : a.flowId > b.flowId ? 1 : 0));
    });
  }
}

class EmbeddedNumbers implements NumberRepository {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date,
  ) {}

  bind(input: BindInput): Promise<NumberBinding> {
    const where = 'numbers.bind';
    return guard(where, this.db, () => {
      const number = checkE164(where, 'number', input?.number);
      const flowId = checkId(where, 'flowId', input.flowId);
      const by = checkText(where, 'by', input.by, 200);
      const at = timeOrNow(where, input.at, this.now);
      const row = this.db.get('SELECT doc FROM number_bindings WHERE number = ?', [number]);
      const history = row ? parse<NumberBinding>(row).history : [];
      const change: BindingChange = { kind: 'bind', flowId, by, at };
      const binding = {
        number,
        flowId,
        boundBy: by,
        boundAt: at,
        history: [...history, change].slice(-BINDING_HISTORY_LIMIT),
      };
      const etag = newEtag();
      this.db.run(
        'INSERT OR REPLACE INTO number_bindings (number, bound, flow_id, doc, etag) VALUES (?, 1, ?, ?, ?)',
        [number, flowId, JSON.stringify(binding), etag],
      );
      return { ...binding, etag };
    });
  }

  unbind(input: { number: string; by: string; at?: string }): Promise<void> {
    const where = 'numbers.unbind';
    return guard(where, this.db, () => {
      const number = checkE164(where, 'number', input?.number);
      const by = checkText(where, 'by', input.by, 200);
      const at = timeOrNow(where, input.at, this.now);
      const row = this.db.get('SELECT doc FROM number_bindings WHERE number = ? AND bound = 1', [number]);
      if (!row) throw notFound(where, 'the number is not bound');
      const binding = parse<Omit<NumberBinding, 'etag'>>(row);
      const change: BindingChange = { kind: 'unbind', flowId: binding.flowId, by, at };
      const next = { ...binding, history: [...binding.history, change].slice(-BINDING_HISTORY_LIMIT) };
      this.db.run('UPDATE number_bindings SET bound = 0, doc = ?, etag = ? WHERE number = ?', [
        JSON.stringify(next),
        newEtag(),
        number,
      ]);
    });
  }

  lookup(number: string): Promise<NumberBinding | undefined> {
    const where = 'numbers.lookup';
    return guard(where, this.db, () => {
      checkE164(where, 'number', number);
      const row = this.db.get('SELECT doc, etag FROM number_bindings WHERE number = ? AND bound = 1', [
        number,
      ]);
      return row && { ...parse<NumberBinding>(row), etag: row.etag as string };
    });
  }

  list(options: { flowId?: string } = {}): Promise<NumberBinding[]> {
    const where = 'numbers.list';
    return guard(where, this.db, () => {
      if (options.flowId !== undefined) checkId(where, 'flowId', options.flowId);
      const rows =
        options.flowId === undefined
          ? this.db.all('SELECT doc, etag FROM number_bindings WHERE bound = 1 ORDER BY number')
          : this.db.all(
              'SELECT doc, etag FROM number_bindings WHERE bound = 1 AND flow_id = ? ORDER BY number',
              [options.flowId],
            );
      return rows.map((row) => ({ ...parse<NumberBinding>(row), etag: row.etag as string }));
    });
  }
}

class EmbeddedCalls implements CallRepository {
  constructor(private readonly db: Db) {}

  create(record: NewCallRecord): Promise<CallRecord> {
    const where = 'calls.create';
    return guard(where, this.db, () => {
      const call = checkNewCall(where, record);
      if (this.db.get('SELECT 1 FROM calls WHERE call_id = ?', [call.callId]))
        throw new StoreError(StoreErrorCode.Conflict, `${where}: already exists`, {
          metadata: { where, callId: call.callId },
        });
      const etag = newEtag();
      this.db.run(
        `INSERT INTO calls (call_id, started_at, from_number, to_number, flow_id, outcome_kind, status, doc, etag)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          call.callId,
          call.startedAt,
          call.from,
          call.to,
          call.flowId ?? null,
          call.outcome?.kind ?? null,
          call.status,
          JSON.stringify(call),
          etag,
        ],
      );
      return { ...call, etag };
    });
  }

  get(callId: string): Promise<CallRecord | undefined> {
    const where = 'calls.get';
    return guard(where, this.db, () => {
      checkId(where, 'callId', callId);
      const row = this.db.get('SELECT doc, etag FROM calls WHERE call_id = ?', [callId]);
      return row && { ...parse<CallRecord>(row), etag: row.etag as string };
    });
  }

  update(callId: string, changes: CallChanges, options: { etag: string }): Promise<CallRecord> {
    const where = 'calls.update';
    return guard(where, this.db, () => {
      checkId(where, 'callId', callId);
      const checked = checkCallChanges(where, changes);
      const expected = checkText(where, 'etag', options?.etag, 200);
      const row = this.db.get('SELECT doc, etag FROM calls WHERE call_id = ?', [callId]);
      if (!row) throw notFound(where, 'no call record with this callId', { callId });
      if (row.etag !== expected) throw conflict(where, { callId });
      if (Object.keys(checked).length === 0) return { ...parse<CallRecord>(row), etag: expected };
      const call = { ...parse<Omit<CallRecord, 'etag'>>(row), ...checked };
      const etag = newEtag();
      this.db.run(
        'UPDATE calls SET flow_id = ?, outcome_kind = ?, status = ?, doc = ?, etag = ? WHERE call_id = ? AND etag = ?',
        [
          call.flowId ?? null,
          call.outcome?.kind ?? null,
          call.status,
          JSON.stringify(call),
          etag,
          callId,
          expected,
        ],
      );
      return { ...call, etag };
    });
  }

  mutate(
    callId: string,
    change: (current: CallRecord) => CallChanges,
    options: { maxAttempts?: number } = {},
  ): Promise<CallRecord> {
    return mutateCall(this, callId, change, options.maxAttempts);
  }

  list(query?: CallQuery): Promise<Page<CallRecord>> {
    const where = 'calls.list';
    return guard(where, this.db, () => {
      const q = checkCallQuery(where, query);
      const conditions: string[] = [];
      const values: unknown[] = [];
      if (q.continuation !== undefined) {
        const position = decodeContinuation(where, q, q.continuation);
        if (!Array.isArray(position) || position.length !== 2 || position.some((p) => typeof p !== 'string'))
          throw invalid(where, 'continuation', 'is not a token this store issued');
        const [startedAt, callId] = position as [string, string];
        conditions.push('(started_at < ? OR (started_at = ? AND call_id < ?))');
        values.push(startedAt, startedAt, callId);
      }
      if (q.startedFrom !== undefined) {
        conditions.push('started_at >= ?');
        values.push(q.startedFrom);
      }
      if (q.startedBefore !== undefined) {
        conditions.push('started_at < ?');
        values.push(q.startedBefore);
      }
      if (q.number !== undefined) {
        conditions.push('(from_number = ? OR to_number = ?)');
        values.push(q.number, q.number);
      }
      if (q.flowId !== undefined) {
        conditions.push('flow_id = ?');
        values.push(q.flowId);
      }
      if (q.outcomeKind !== undefined) {
        conditions.push('outcome_kind = ?');
        values.push(q.outcomeKind);
      }
      if (q.activeOnly) conditions.push("status = 'active'");
      const rows = this.db.all(
        `SELECT doc, etag FROM calls${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''}
         ORDER BY started_at DESC, call_id DESC LIMIT ?`,
        [...values, q.limit + 1],
      );
      const items = rows
        .slice(0, q.limit)
        .map((row) => ({ ...parse<CallRecord>(row), etag: row.etag as string }));
      const last = items.at(-1);
      return rows.length > q.limit && last
        ? { items, continuation: encodeContinuation(q, [last.startedAt, last.callId]) }
        : { items };
    });
  }
}

class EmbeddedTimelines implements TimelineRepository {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {}

  append(event: NewTimelineEvent): Promise<TimelineEvent> {
    const where = 'timelines.append';
    return guard(where, this.db, () => this.insert(checkTimelineEvent(where, event)));
  }

  appendMany(events: NewTimelineEvent[]): Promise<TimelineEvent[]> {
    const where = 'timelines.appendMany';
    return guard(where, this.db, () => {
      if (!Array.isArray(events)) throw invalid(where, 'events', 'must be an array');
      const checked = events.map((e, i) => checkTimelineEvent(`${where}[${i}]`, e));
      return this.db.transaction(() => checked.map((e) => this.insert(e)));
    });
  }

  list(callId: string): Promise<TimelineEvent[]> {
    const where = 'timelines.list';
    return guard(where, this.db, () => {
      checkId(where, 'callId', callId);
      return this.db
        .all('SELECT ord, at, seq, doc FROM timeline_events WHERE call_id = ? AND expires_at > ?', [
          callId,
          this.now().toISOString(),
        ])
        .map((row) => ({
          ord: row.ord as number,
          at: row.at as string,
          seq: (row.seq as number | null) ?? undefined,
          event: parse<TimelineEvent>(row),
        }))
        .sort(compareTimeline)
        .map((r) => r.event);
    });
  }

  purgeExpired(): Promise<number> {
    return guard('timelines.purgeExpired', this.db, () => this.sweep());
  }

  /** Deletes events past their expiry; returns how many. */
  sweep(): number {
    return this.db.run('DELETE FROM timeline_events WHERE expires_at <= ?', [this.now().toISOString()]);
  }

  private insert(event: NewTimelineEvent): TimelineEvent {
    const stored: TimelineEvent = { ...event, id: timelineEventId(event, randomUUID) };
    if (event.seq !== undefined) {
      const existing = this.db.get('SELECT doc FROM timeline_events WHERE call_id = ? AND id = ?', [
        event.callId,
        stored.id,
      ]);
      if (existing) return parse<TimelineEvent>(existing);
    }
    const expiresAt = new Date(this.now().getTime() + this.ttlMs).toISOString();
    this.db.run(
      'INSERT INTO timeline_events (call_id, id, at, seq, expires_at, doc) VALUES (?, ?, ?, ?, ?, ?)',
      [stored.callId, stored.id, stored.at, stored.seq ?? null, expiresAt, JSON.stringify(stored)],
    );
    return stored;
  }
}

/** Store files open in this process. */
const openFiles = new Set<string>();

/**
 * Makes sure one store at a time uses `file`: the WASM VFS has no working file locks, and two
 * connections in WAL mode without shared memory would corrupt it. In this process a set of open
 * files; across processes a `store.sqlite.owner` file holding the owner's pid (taken over, with
 * the VFS's stale lock, when that process is gone).
 */
function takeLock(file: string): void {
  const where = 'createEmbeddedStore';
  if (openFiles.has(file))
    throw new StoreError(StoreErrorCode.Unavailable, `${where}: the store is already open in this process`, {
      metadata: { where },
    });
  const lock = `${file}.owner`;
  try {
    const owner = Number(readFileSync(lock, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
      throw new StoreError(StoreErrorCode.Unavailable, `${where}: the store is open in another process`, {
        metadata: { where, pid: owner },
      });
    // The owner died without closing (killed host): node-sqlite3-wasm's VFS locks by creating the
    // directory `<file>.lock`, which a killed process leaves behind. Clear it; SQLite then
    // recovers the committed transactions from the WAL on open.
    if (Number.isInteger(owner) && owner > 0) rmSync(`${file}.lock`, { recursive: true, force: true });
  } catch (err) {
    if (err instanceof StoreError) throw err;
    // No owner file (or an unreadable one): free to take.
  }
  writeFileSync(lock, String(process.pid));
  openFiles.add(file);
}

function releaseLock(file: string): void {
  openFiles.delete(file);
  rmSync(`${file}.owner`, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Opens (creating if needed) the embedded store at `<dataDir>/store.sqlite`. Data persists across
 * close and reopen. Throws `STORE.INVALID` for bad options, `STORE.UNAVAILABLE` if the file cannot
 * be opened or is already open (in this process, or in another live process).
 *
 * @example
 * const store = createEmbeddedStore({ dataDir: '.data' });
 * await store.numbers.bind({ number: '+14255550100', flowId: 'main-menu', by: 'cli' });
 * await store.close();
 */
export function createEmbeddedStore(options: EmbeddedStoreOptions): Store {
  const where = 'createEmbeddedStore';
  const dataDir = checkText(where, 'dataDir', options?.dataDir, 4096);
  const ttlDays = checkTtlDays(where, options.timelineTtlDays);
  const now = options.now ?? (() => new Date());
  const file = join(dataDir, 'store.sqlite');
  let db: Db;
  try {
    mkdirSync(dataDir, { recursive: true });
    takeLock(file);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(StoreErrorCode.Unavailable, `${where}: cannot open the store file`, {
      metadata: { where },
      cause: err,
    });
  }
  try {
    db = new Db(file);
  } catch (err) {
    releaseLock(file);
    throw new StoreError(StoreErrorCode.Unavailable, `${where}: cannot open the store file`, {
      metadata: { where },
      cause: err,
    });
  }
  const timelines = new EmbeddedTimelines(db, ttlDays * 86_400_000, now);
  timelines.sweep();
  const intervalMs = options.sweepIntervalMs ?? 3_600_000;
  const timer =
    intervalMs > 0
      ? setInterval(() => void timelines.purgeExpired().catch(() => undefined), intervalMs)
      : undefined;
  timer?.unref();
  return {
    flows: new EmbeddedFlows(db, now),
    numbers: new EmbeddedNumbers(db, now),
    calls: new EmbeddedCalls(db),
    timelines,
    close: () => {
      if (timer) clearInterval(timer);
      if (db.isOpen) {
        db.close();
        releaseLock(file);
      }
      return Promise.resolve();
    },
  };
}
