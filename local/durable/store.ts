/**
 * The task hub's persistent store: one SQLite file (node-sqlite3-wasm, ../../../shared/notes/local-runtime.md
 * Q7) holding instances, their history, the inbox of pending messages (completions, external
 * events, durable timers as messages that become visible at their fire time, control messages)
 * and activity work items. Every episode of an orchestration commits its new history, its consumed
 * inbox rows and its new work in one transaction, which is what makes a `kill -9` at any point
 * recoverable (each history event once; activities at least once, as with Azure Storage).
 */
import fs from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { AppError } from '../../shared/errors/app-error.js';
import type { HistoryEvent, WireRetryOptions } from './history.js';

const { Database } = sqlite;
type Db = InstanceType<typeof Database>;
type Stmt = ReturnType<Db['prepare']>;
type Row = Record<string, unknown>;

/** Runtime statuses, as `OrchestrationRuntimeStatus` names them. */
export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

/** Statuses after which an instance never runs again (unless restarted or rewound). */
export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);

/** Where a sub-orchestration reports back to: its parent's instance, execution and task (sequence) id. */
export interface ParentRef {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
}

/** What a sequence id of the current execution stands for. */
export interface TaskRef {
  kind: 'activity' | 'sub' | 'timer' | 'retryTimer';
  /** Index of the owning action in `ExecutionState.known`. */
  action: number;
  /** Set once its completion was appended to history (later duplicates are dropped). */
  done?: boolean;
}

/** Retry bookkeeping of one `...WithRetry` action (DTFx `RetryInterceptor` semantics). */
export interface RetryState {
  opts: WireRetryOptions;
  /** Attempt number of the current (or last) attempt, from 1. */
  attempt: number;
  /** Epoch ms of the first attempt (for `retryTimeoutInMilliseconds`). */
  firstAt: number;
  /** Set when the retry timeout elapsed: later attempts fail at once with the last failure. */
  expired?: boolean;
  lastReason?: string;
  lastDetails?: string;
}

/** One action the orchestrator has scheduled in this execution, in replay order. */
export interface KnownAction {
  type: number;
  name?: string;
  /** First sequence id (undefined for actions that consume none). */
  id?: number;
  canceled?: boolean;
}

/** The backend's replay state of the current execution (persisted with the instance). */
export interface ExecutionState {
  nextSeq: number;
  known: KnownAction[];
  tasks: Record<string, TaskRef>;
  retries: Record<string, RetryState>;
}

/** One orchestration instance. JSON columns hold JSON text (`input`, `output`, `customStatus`). */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  version: string | null;
  executionId: string;
  status: RuntimeStatus;
  input: string | null;
  output: string | null;
  customStatus: string | null;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  updatedAt: number;
  parent: ParentRef | null;
  state: ExecutionState;
}

/** A message waiting for an instance. */
/**
 * A message waiting for an instance: a history event to admit (activity result, timer, external
 * event, sub-orchestration result), an execution start, or a control request with its reason.
 */
export type InboxMessage =
  | { kind: 'event'; event: HistoryEvent }
  | { kind: 'start'; event: HistoryEvent }
  | { kind: 'terminate' | 'suspend' | 'resume'; reason: string };

/** A stored inbox message with its row id (deleted in the episode transaction that consumes it). */
export interface InboxRow {
  id: number;
  instanceId: string;
  /** Execution the message belongs to (null: any execution, e.g. external events). */
  executionId: string | null;
  /** Sequence id of a durable timer message (to cancel it), else null. */
  taskId: number | null;
  message: InboxMessage;
  /** Epoch ms from which the message may be processed (a timer's fire time). */
  visibleAt: number;
}

/** One activity invocation to run (input is JSON text). */
export interface WorkItem {
  id: number;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  input: string;
}

/** Filter of the list/purge APIs (times in epoch ms). */
export interface InstanceFilter {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatus[];
  instanceIdPrefix?: string;
}

/** The bookkeeping of a new execution: no sequence ids used, no known actions, tasks or retries. */
export function emptyExecutionState(): ExecutionState {
  return { nextSeq: 0, known: [], tasks: {}, retries: {} };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, version TEXT, execution_id TEXT NOT NULL,
  status TEXT NOT NULL, input TEXT, output TEXT, custom_status TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, parent TEXT, state TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS instances_created ON instances(created_at);
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL, seq INTEGER NOT NULL, execution_id TEXT NOT NULL, event TEXT NOT NULL,
  PRIMARY KEY (instance_id, seq));
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, execution_id TEXT, task_id INTEGER,
  message TEXT NOT NULL, visible_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_instance ON inbox(instance_id, visible_at);
CREATE INDEX IF NOT EXISTS inbox_visible ON inbox(visible_at);
CREATE TABLE IF NOT EXISTS work (
  id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, execution_id TEXT NOT NULL,
  task_id INTEGER NOT NULL, name TEXT NOT NULL, input TEXT NOT NULL);
`;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes this process the owner of `file` (`<file>.owner` holds the pid). node-sqlite3-wasm's VFS
 * locks with a `<file>.lock` directory that a killed process leaves behind, so a lock left by a
 * dead owner is removed here; a live owner is an error (one hub per data folder).
 * Throws `AppError` `DURABLE.DATA_DIR_IN_USE`.
 */
function claimOwnership(file: string): void {
  const owner = `${file}.owner`;
  if (fs.existsSync(owner)) {
    const pid = Number(fs.readFileSync(owner, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new AppError(
        'DURABLE.DATA_DIR_IN_USE',
        `The task hub store ${file} is in use by process ${pid}; one task hub per data folder.`,
        {
          metadata: { pid },
        },
      );
    }
  }
  fs.rmSync(`${file}.lock`, { recursive: true, force: true });
  fs.writeFileSync(owner, String(process.pid));
}

function releaseOwnership(file: string): void {
  try {
    const owner = `${file}.owner`;
    if (fs.existsSync(owner) && fs.readFileSync(owner, 'utf8').trim() === String(process.pid))
      fs.rmSync(owner, { force: true });
  } catch {
    // Best effort: a stale owner file is recognised by its dead pid.
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}
function strOrNull(v: unknown): string | null {
  return v == null ? null : str(v);
}

/**
 * Synchronous SQLite access for the task hub. Not safe for two processes on one file (the wasm
 * VFS has no cross-process locking): one hub owns one data folder.
 */
export class HubStore {
  private readonly db: Db;
  private readonly stmts = new Map<string, Stmt>();

  /** Opens (creating if needed) `file`. Throws if the folder cannot be created or the file is not SQLite. */
  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    claimOwnership(file);
    this.db = new Database(file);
    // - locking_mode=EXCLUSIVE: one hub owns the file (claimOwnership), so the lock is taken once
    //   instead of a lock-directory mkdir/rmdir per transaction in the wasm VFS.
    // - A process crash (kill -9) cannot lose committed data with a rollback journal even without
    //   fsync; synchronous=OFF only gives up durability across an OS crash or power loss, which a
    //   local development host accepts for speed.
    this.db.exec('PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=TRUNCATE; PRAGMA synchronous=OFF;');
    this.db.exec(SCHEMA);
  }

  /** Finalises statements, closes the file and releases `<file>.owner`. */
  close(): void {
    for (const s of this.stmts.values()) s.finalize();
    this.stmts.clear();
    if (this.db.isOpen) this.db.close();
    releaseOwnership(this.file);
  }

  private stmt(sql: string): Stmt {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }
  private run(
    sql: string,
    params: (string | number | null)[] = [],
  ): { changes: number; lastInsertRowid: number | bigint } {
    return this.stmt(sql).run(params);
  }
  private all(sql: string, params: (string | number | null)[] = []): Row[] {
    return this.stmt(sql).all(params);
  }
  private one(sql: string, params: (string | number | null)[] = []): Row | undefined {
    return (this.stmt(sql).get(params) as Row | null) ?? undefined;
  }

  /** Runs `fn` in one `BEGIN IMMEDIATE` transaction; rolls back and rethrows on error. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private toInstance(r: Row): InstanceRecord {
    return {
      instanceId: str(r.instance_id),
      name: str(r.name),
      version: strOrNull(r.version),
      executionId: str(r.execution_id),
      status: str(r.status) as RuntimeStatus,
      input: strOrNull(r.input),
      output: strOrNull(r.output),
      customStatus: strOrNull(r.custom_status),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      parent: r.parent == null ? null : (JSON.parse(str(r.parent)) as ParentRef),
      state: JSON.parse(str(r.state)) as ExecutionState,
    };
  }

  /** The instance row, or undefined. */
  getInstance(instanceId: string): InstanceRecord | undefined {
    const r = this.one('SELECT * FROM instances WHERE instance_id = ?', [instanceId]);
    return r ? this.toInstance(r) : undefined;
  }

  /** Inserts or replaces the instance row. */
  putInstance(i: InstanceRecord): void {
    this.run(
      `INSERT OR REPLACE INTO instances (instance_id, name, version, execution_id, status, input, output, custom_status, created_at, updated_at, parent, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        i.instanceId,
        i.name,
        i.version,
        i.executionId,
        i.status,
        i.input,
        i.output,
        i.customStatus,
        i.createdAt,
        i.updatedAt,
        i.parent ? JSON.stringify(i.parent) : null,
        JSON.stringify(i.state),
      ],
    );
  }

  /** Deletes an instance with its history, inbox and work items. Returns whether it existed. */
  deleteInstance(instanceId: string): boolean {
    const n = this.run('DELETE FROM instances WHERE instance_id = ?', [instanceId]).changes;
    this.run('DELETE FROM history WHERE instance_id = ?', [instanceId]);
    this.run('DELETE FROM inbox WHERE instance_id = ?', [instanceId]);
    this.run('DELETE FROM work WHERE instance_id = ?', [instanceId]);
    return n > 0;
  }

  /** History of the instance's current execution, in order. */
  loadHistory(instanceId: string): HistoryEvent[] {
    return this.all('SELECT event FROM history WHERE instance_id = ? ORDER BY seq', [instanceId]).map(
      (r) => JSON.parse(str(r.event)) as HistoryEvent,
    );
  }

  /** Appends events at positions `fromSeq`, `fromSeq + 1`, ... */
  appendHistory(instanceId: string, executionId: string, fromSeq: number, events: HistoryEvent[]): void {
    let seq = fromSeq;
    for (const e of events) {
      this.run('INSERT INTO history (instance_id, seq, execution_id, event) VALUES (?, ?, ?, ?)', [
        instanceId,
        seq++,
        executionId,
        JSON.stringify(e),
      ]);
    }
  }

  /** Replaces the whole history (rewind, continue-as-new). */
  replaceHistory(instanceId: string, executionId: string, events: HistoryEvent[]): void {
    this.run('DELETE FROM history WHERE instance_id = ?', [instanceId]);
    this.appendHistory(instanceId, executionId, 0, events);
  }

  /** Stores a message for an instance (visible from `row.visibleAt`, epoch ms); returns its row id. */
  addInbox(row: Omit<InboxRow, 'id'>): number {
    const r = this.run(
      'INSERT INTO inbox (instance_id, execution_id, task_id, message, visible_at) VALUES (?, ?, ?, ?, ?)',
      [row.instanceId, row.executionId, row.taskId, JSON.stringify(row.message), row.visibleAt],
    );
    return Number(r.lastInsertRowid);
  }

  private toInbox(r: Row): InboxRow {
    return {
      id: Number(r.id),
      instanceId: str(r.instance_id),
      executionId: strOrNull(r.execution_id),
      taskId: r.task_id == null ? null : Number(r.task_id),
      message: JSON.parse(str(r.message)) as InboxMessage,
      visibleAt: Number(r.visible_at),
    };
  }

  /** Messages of `instanceId` visible at `now` (epoch ms), oldest first. */
  visibleInbox(instanceId: string, now: number): InboxRow[] {
    return this.all('SELECT * FROM inbox WHERE instance_id = ? AND visible_at <= ? ORDER BY id', [
      instanceId,
      now,
    ]).map((r) => this.toInbox(r));
  }

  /** Deletes consumed inbox rows by id (call inside the episode's transaction). */
  deleteInbox(ids: number[]): void {
    for (const id of ids) this.run('DELETE FROM inbox WHERE id = ?', [id]);
  }

  /** Deletes the pending TimerFired message of timer `taskId` (a cancelled durable timer). */
  deleteTimer(instanceId: string, executionId: string, taskId: number): void {
    this.run('DELETE FROM inbox WHERE instance_id = ? AND execution_id = ? AND task_id = ?', [
      instanceId,
      executionId,
      taskId,
    ]);
  }

  /** Deletes every message of the instance, or only those tagged with `executionId`. */
  clearInbox(instanceId: string, executionId?: string): void {
    if (executionId === undefined) this.run('DELETE FROM inbox WHERE instance_id = ?', [instanceId]);
    else this.run('DELETE FROM inbox WHERE instance_id = ? AND execution_id = ?', [instanceId, executionId]);
  }

  /** Instance ids with at least one message visible at `now`. */
  dueInstances(now: number): string[] {
    return this.all('SELECT DISTINCT instance_id FROM inbox WHERE visible_at <= ?', [now]).map((r) =>
      str(r.instance_id),
    );
  }

  /** Earliest `visible_at` after `now`, or undefined. */
  nextVisibleAfter(now: number): number | undefined {
    const r = this.one('SELECT MIN(visible_at) AS t FROM inbox WHERE visible_at > ?', [now]);
    return r?.t == null ? undefined : Number(r.t);
  }

  /** Stores an activity to run; returns its work item id. */
  addWork(w: Omit<WorkItem, 'id'>): number {
    const r = this.run(
      'INSERT INTO work (instance_id, execution_id, task_id, name, input) VALUES (?, ?, ?, ?, ?)',
      [w.instanceId, w.executionId, w.taskId, w.name, w.input],
    );
    return Number(r.lastInsertRowid);
  }

  /** Deletes a finished work item (in the transaction that stores its result). */
  deleteWork(id: number): void {
    this.run('DELETE FROM work WHERE id = ?', [id]);
  }

  /** Every work item not yet completed, oldest first (rerun at start: activities run at least once). */
  allWork(): WorkItem[] {
    return this.all('SELECT * FROM work ORDER BY id').map((r) => ({
      id: Number(r.id),
      instanceId: str(r.instance_id),
      executionId: str(r.execution_id),
      taskId: Number(r.task_id),
      name: str(r.name),
      input: str(r.input),
    }));
  }

  /** Instances matching `filter`, ordered by creation time then id, `top` rows after `skip`. */
  listInstances(filter: InstanceFilter, skip = 0, top = -1): InstanceRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.createdFrom !== undefined) {
      where.push('created_at >= ?');
      params.push(filter.createdFrom);
    }
    if (filter.createdTo !== undefined) {
      where.push('created_at <= ?');
      params.push(filter.createdTo);
    }
    if (filter.statuses && filter.statuses.length > 0) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(',')})`);
      params.push(...filter.statuses);
    }
    if (filter.instanceIdPrefix) {
      where.push('substr(instance_id, 1, ?) = ?');
      params.push(filter.instanceIdPrefix.length, filter.instanceIdPrefix);
    }
    const sql = `SELECT * FROM instances ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at, instance_id LIMIT ? OFFSET ?`;
    const rows = this.db.all(sql, [...params, top, skip]) as Row[];
    return rows.map((r) => this.toInstance(r));
  }
}
