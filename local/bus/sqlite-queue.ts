/**
 * The embedded bus: a {@link QueuePort} with Service Bus queue semantics, persisted in one SQLite
 * file (`node-sqlite3-wasm`, pure WebAssembly, synchronous API) so that messages survive a restart.
 * One process owns the file. Semantics copied from Service Bus queues:
 * - peek-lock: a received message stays in the queue, locked for `lockDurationMs` (default 60 s,
 *   Service Bus' default lock duration); complete removes it, abandon unlocks it, an expired lock
 *   makes it receivable again;
 * - every delivery counts (`deliveryCount` 1 on the first); once a message has been delivered
 *   `maxDeliveryCount` times (default 10) and is abandoned or its lock expires, it moves to
 *   `<queue>/$DeadLetterQueue` with reason `MaxDeliveryCountExceeded`;
 * - `scheduledEnqueueTimeUtc` delays visibility; receive-and-delete removes on receipt.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import {
  deadLetterQueueName,
  type DeadLetterOptions,
  type OutgoingQueueMessage,
  type QueuePort,
  type QueuePropertyValue,
  type ReceiveOptions,
  type ReceivedQueueMessage,
} from '../../shared/bus/queue.port.js';

/** Service Bus' default `MaxDeliveryCount` for a queue. */
export const DEFAULT_MAX_DELIVERY_COUNT = 10;
/** Service Bus' default lock duration (ms). */
export const DEFAULT_LOCK_DURATION_MS = 60_000;
/** Poll interval while a receiver waits (ms); sends in this process wake receivers at once. */
const WAIT_POLL_MS = 200;

/** Options for {@link SqliteQueue}. */
export interface SqliteQueueOptions {
  /** SQLite file path (its folder is created). */
  file: string;
  /** Deliveries before dead-lettering (default 10). */
  maxDeliveryCount?: number;
  /** Peek-lock duration in ms (default 60 000). */
  lockDurationMs?: number;
}

/** Runs synchronous work, turning a throw into a rejected promise (the port is asynchronous). */
function attempt<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(ensureError(err));
  }
}

type Row = Record<string, number | bigint | string | Uint8Array | null>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bus_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body_kind TEXT NOT NULL,
  body_text TEXT,
  body_bytes BLOB,
  content_type TEXT,
  correlation_id TEXT,
  subject TEXT,
  session_id TEXT,
  app_props TEXT NOT NULL,
  enqueued_at INTEGER NOT NULL,
  available_at INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  lock_token TEXT,
  locked_until INTEGER,
  dl_reason TEXT,
  dl_description TEXT,
  dl_source TEXT
);
CREATE INDEX IF NOT EXISTS bus_messages_by_queue ON bus_messages(queue, seq);
CREATE INDEX IF NOT EXISTS bus_messages_by_lock ON bus_messages(lock_token);
`;

function encodeBody(
  body: unknown,
  messageId: string,
): { kind: string; text: string | null; bytes: Uint8Array | null } {
  if (Buffer.isBuffer(body) || body instanceof Uint8Array)
    return { kind: 'bytes', text: null, bytes: new Uint8Array(body) };
  if (typeof body === 'string') return { kind: 'string', text: body, bytes: null };
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    throw new AppError(
      'BUS.INVALID_MESSAGE',
      `Message ${messageId}: the body must be JSON-serialisable, a string or bytes.`,
      { metadata: { messageId } },
    );
  }
  return { kind: 'json', text, bytes: null };
}

function str(v: Row[string] | undefined): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}
function num(v: Row[string] | undefined): number {
  return typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : Number(v ?? 0);
}

function decodeRow(row: Row, withLock: boolean): ReceivedQueueMessage {
  const kind = str(row.body_kind);
  const body: unknown =
    kind === 'bytes'
      ? Buffer.from(row.body_bytes as Uint8Array)
      : kind === 'string'
        ? str(row.body_text)
        : (JSON.parse(str(row.body_text) ?? 'null') as unknown);
  return {
    body,
    messageId: str(row.message_id) ?? '',
    contentType: str(row.content_type),
    correlationId: str(row.correlation_id),
    subject: str(row.subject),
    sessionId: str(row.session_id),
    applicationProperties: JSON.parse(str(row.app_props) ?? '{}') as Record<string, QueuePropertyValue>,
    sequenceNumber: num(row.seq),
    deliveryCount: num(row.delivery_count),
    enqueuedTimeUtc: new Date(num(row.enqueued_at)),
    lockToken: withLock ? str(row.lock_token) : undefined,
    lockedUntilUtc: withLock && row.locked_until !== null ? new Date(num(row.locked_until)) : undefined,
    deadLetterReason: str(row.dl_reason),
    deadLetterErrorDescription: str(row.dl_description),
    deadLetterSource: str(row.dl_source),
  };
}

/**
 * The embedded queue. Errors: `BUS.LOCK_LOST` (settling an expired or settled lock),
 * `BUS.INVALID_MESSAGE` (unserialisable body), `BUS.CLOSED` (used after {@link close}).
 */
export class SqliteQueue implements QueuePort {
  readonly file: string;
  readonly maxDeliveryCount: number;
  readonly lockDurationMs: number;
  readonly #db: sqlite.Database;
  readonly #waiters = new Map<string, Set<() => void>>();
  #closed = false;

  constructor(options: SqliteQueueOptions) {
    this.file = path.resolve(options.file);
    this.maxDeliveryCount = options.maxDeliveryCount ?? DEFAULT_MAX_DELIVERY_COUNT;
    this.lockDurationMs = options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS;
    if (!Number.isInteger(this.maxDeliveryCount) || this.maxDeliveryCount < 1) {
      throw new AppError(
        'BUS.CONFIG',
        `maxDeliveryCount must be a positive integer (got ${String(options.maxDeliveryCount)}).`,
      );
    }
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.#db = new sqlite.Database(this.file);
    this.#db.exec(SCHEMA);
  }

  #check(): void {
    if (this.#closed) throw new AppError('BUS.CLOSED', `The embedded bus ${this.file} is closed.`);
  }

  #notify(queue: string): void {
    const set = this.#waiters.get(queue);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  #tx<T>(fn: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  send(queue: string, messages: OutgoingQueueMessage | OutgoingQueueMessage[]): Promise<void> {
    return attempt(() => this.#send(queue, messages));
  }

  #send(queue: string, messages: OutgoingQueueMessage | OutgoingQueueMessage[]): void {
    this.#check();
    const list = Array.isArray(messages) ? messages : [messages];
    const now = Date.now();
    const rows = list.map((m) => {
      const messageId = m.messageId ?? randomUUID();
      return { m, messageId, body: encodeBody(m.body, messageId) };
    });
    this.#tx(() => {
      for (const { m, messageId, body } of rows) {
        this.#db.run(
          `INSERT INTO bus_messages (queue, message_id, body_kind, body_text, body_bytes, content_type, correlation_id, subject, session_id, app_props, enqueued_at, available_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            queue,
            messageId,
            body.kind,
            body.text,
            body.bytes,
            m.contentType ?? null,
            m.correlationId ?? null,
            m.subject ?? null,
            m.sessionId ?? null,
            JSON.stringify(m.applicationProperties ?? {}),
            now,
            m.scheduledEnqueueTimeUtc ? Math.max(now, m.scheduledEnqueueTimeUtc.getTime()) : now,
          ],
        );
      }
    });
    this.#notify(queue);
  }

  #moveToDeadLetter(seq: number, queue: string, reason: string, description: string): void {
    this.#db.run(
      `UPDATE bus_messages SET queue = ?, lock_token = NULL, locked_until = NULL, available_at = ?, dl_reason = ?, dl_description = ?, dl_source = ? WHERE seq = ?`,
      [deadLetterQueueName(queue), Date.now(), reason, description, queue, seq],
    );
  }

  #maxDeliveryDescription(): string {
    return `Message could not be consumed after ${this.maxDeliveryCount} delivery attempts.`;
  }

  #take(queue: string, max: number, peekLock: boolean): ReceivedQueueMessage[] {
    return this.#tx(() => {
      const now = Date.now();
      const out: ReceivedQueueMessage[] = [];
      const rows = this.#db.all(
        `SELECT * FROM bus_messages WHERE queue = ? AND available_at <= ? AND (locked_until IS NULL OR locked_until <= ?) ORDER BY seq LIMIT ?`,
        [queue, now, now, max * 2 + 10],
      ) as Row[];
      for (const row of rows) {
        if (out.length >= max) break;
        const seq = num(row.seq);
        const delivered = num(row.delivery_count);
        if (
          row.locked_until !== null &&
          delivered >= this.maxDeliveryCount &&
          !queue.endsWith('/$DeadLetterQueue')
        ) {
          // The lock of the last allowed delivery expired: Service Bus dead-letters it.
          this.#moveToDeadLetter(seq, queue, 'MaxDeliveryCountExceeded', this.#maxDeliveryDescription());
          continue;
        }
        if (peekLock) {
          const lockToken = randomUUID();
          const lockedUntil = now + this.lockDurationMs;
          this.#db.run(
            `UPDATE bus_messages SET delivery_count = ?, lock_token = ?, locked_until = ? WHERE seq = ?`,
            [delivered + 1, lockToken, lockedUntil, seq],
          );
          out.push(
            decodeRow(
              { ...row, delivery_count: delivered + 1, lock_token: lockToken, locked_until: lockedUntil },
              true,
            ),
          );
        } else {
          this.#db.run(`DELETE FROM bus_messages WHERE seq = ?`, [seq]);
          out.push(decodeRow({ ...row, delivery_count: delivered + 1 }, false));
        }
      }
      return out;
    });
  }

  async receive(queue: string, options: ReceiveOptions = {}): Promise<ReceivedQueueMessage[]> {
    this.#check();
    const max = Math.max(1, options.maxMessages ?? 1);
    const peekLock = options.peekLock ?? true;
    const deadline = Date.now() + Math.max(0, options.maxWaitMs ?? 0);
    for (;;) {
      if (this.#closed || options.signal?.aborted) return [];
      const got = this.#take(queue, max, peekLock);
      const remaining = deadline - Date.now();
      if (got.length > 0 || remaining <= 0) return got;
      await this.#wait(queue, Math.min(remaining, WAIT_POLL_MS), options.signal);
    }
  }

  #wait(queue: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(queue);
      if (!set) {
        set = new Set();
        this.#waiters.set(queue, set);
      }
      const waiters = set;
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  #locked(queue: string, message: ReceivedQueueMessage): Row {
    this.#check();
    const row = message.lockToken
      ? (this.#db.get(`SELECT * FROM bus_messages WHERE lock_token = ? AND queue = ? AND locked_until > ?`, [
          message.lockToken,
          queue,
          Date.now(),
        ]) as Row | null)
      : null;
    if (!row) {
      throw new AppError(
        'BUS.LOCK_LOST',
        `The lock on message ${message.messageId} in ${queue} expired or the message was already settled.`,
        {
          metadata: { messageId: message.messageId, queue },
        },
      );
    }
    return row;
  }

  complete(queue: string, message: ReceivedQueueMessage): Promise<void> {
    return attempt(() => {
      const row = this.#locked(queue, message);
      this.#db.run(`DELETE FROM bus_messages WHERE seq = ?`, [num(row.seq)]);
    });
  }

  abandon(queue: string, message: ReceivedQueueMessage): Promise<void> {
    return attempt(() => this.#abandon(queue, message));
  }

  #abandon(queue: string, message: ReceivedQueueMessage): void {
    const row = this.#locked(queue, message);
    const seq = num(row.seq);
    if (num(row.delivery_count) >= this.maxDeliveryCount && !queue.endsWith('/$DeadLetterQueue')) {
      this.#moveToDeadLetter(seq, queue, 'MaxDeliveryCountExceeded', this.#maxDeliveryDescription());
      this.#notify(deadLetterQueueName(queue));
    } else {
      this.#db.run(`UPDATE bus_messages SET lock_token = NULL, locked_until = NULL WHERE seq = ?`, [seq]);
      this.#notify(queue);
    }
  }

  renewLock(queue: string, message: ReceivedQueueMessage): Promise<Date> {
    return attempt(() => {
      const row = this.#locked(queue, message);
      const until = Date.now() + this.lockDurationMs;
      this.#db.run(`UPDATE bus_messages SET locked_until = ? WHERE seq = ?`, [until, num(row.seq)]);
      return new Date(until);
    });
  }

  deadLetter(queue: string, message: ReceivedQueueMessage, options: DeadLetterOptions = {}): Promise<void> {
    return attempt(() => {
      const row = this.#locked(queue, message);
      this.#moveToDeadLetter(
        num(row.seq),
        queue,
        options.reason ?? 'DeadLettered',
        options.description ?? '',
      );
      this.#notify(deadLetterQueueName(queue));
    });
  }

  /** Messages currently in `queue` (locked or not), without locking them: for tests and ops. */
  peek(queue: string, max = 100): ReceivedQueueMessage[] {
    this.#check();
    return (
      this.#db.all(`SELECT * FROM bus_messages WHERE queue = ? ORDER BY seq LIMIT ?`, [queue, max]) as Row[]
    ).map((r) => decodeRow(r, false));
  }

  /** Number of messages in `queue`. */
  count(queue: string): number {
    this.#check();
    const row = this.#db.get(`SELECT COUNT(*) AS n FROM bus_messages WHERE queue = ?`, [queue]) as Row | null;
    return num(row?.n);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const set of this.#waiters.values()) for (const wake of [...set]) wake();
    this.#db.close();
    return Promise.resolve();
  }
}
