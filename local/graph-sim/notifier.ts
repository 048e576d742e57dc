/**
 * Posts notifications to the bot the way Graph does: the `commsNotifications` collection body
 * `{ "@odata.type": "#microsoft.graph.commsNotifications", "value": [ ... ] }` with an
 * `Authorization: Bearer <JWT>` header, in order per call, retried on 5xx, 429, timeouts and
 * connection errors (with back-off on the simulator clock). Every delivery is recorded.
 * Only loopback callback URIs are posted to; any other is recorded as a failed delivery.
 */
import type { SimClock } from './clock.js';
import type { FaultInjector } from './faults.js';

/** One notification as it goes into `value[]`. */
export type CommsNotification = {
  '@odata.type': '#microsoft.graph.commsNotification';
  changeType: 'created' | 'updated' | 'deleted';
  resourceUrl: string;
  resourceData?: unknown;
  callbackUri?: string;
} & Record<string, unknown>;

/** The outcome of posting one notification (possibly after retries). */
export interface DeliveryRecord {
  /** Order in which the simulator produced the notification (1-based, over all calls). */
  seq: number;
  callId: string;
  callbackUri: string;
  changeType: string;
  resourceUrl: string;
  /** `@odata.type` of resourceData (first element when it is an array). */
  odataType: string;
  /** The notification itself. */
  notification: CommsNotification;
  /** One entry per HTTP attempt: status, or the network error text. `at` is simulated ms. */
  attempts: { at: number; status?: number; error?: string }[];
  /** `delivered` (2xx), `failed` (retries exhausted or non-retryable answer), `dropped` (fault), `pending`. */
  outcome: 'pending' | 'delivered' | 'failed' | 'dropped';
  /** True for the extra copy a `duplicate` fault sent. */
  duplicate?: boolean;
  /** True when a `reorder` fault held this notification back behind the next one. */
  reordered?: boolean;
}

/** Notifier settings. */
export interface NotifierOptions {
  clock: SimClock;
  faults: FaultInjector;
  signToken: () => Promise<string>;
  /** Retries after the first attempt (Graph retries a few times; default 3). */
  maxRetries?: number;
  /** Back-off before retry k (1-based) is `retryBaseMs * 2^(k-1)`, simulated ms (default 1000). */
  retryBaseMs?: number;
  /** Per-attempt timeout, real ms (default 5000). */
  timeoutMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function odataTypeOf(n: CommsNotification): string {
  const d = Array.isArray(n.resourceData) ? (n.resourceData[0] as unknown) : n.resourceData;
  const t = typeof d === 'object' && d !== null ? (d as Record<string, unknown>)['@odata.type'] : undefined;
  return typeof t === 'string' ? t : '';
}

/** Delivers notifications; one ordered queue per call. */
export class Notifier {
  readonly #opts: Required<Omit<NotifierOptions, 'clock' | 'faults' | 'signToken'>> & NotifierOptions;
  readonly #chains = new Map<string, Promise<void>>();
  readonly #held = new Map<string, DeliveryRecord>();
  readonly #records: DeliveryRecord[] = [];
  #seq = 0;
  #stopped = false;

  constructor(options: NotifierOptions) {
    this.#opts = { maxRetries: 3, retryBaseMs: 1000, timeoutMs: 5000, ...options };
  }

  /** Every delivery so far (optionally for one call), in production order. */
  deliveries(callId?: string): DeliveryRecord[] {
    return this.#records.filter((r) => callId === undefined || r.callId === callId);
  }

  /** Resolves when everything queued for `callId` (or for every call) has been attempted. */
  async idle(callId?: string): Promise<void> {
    const chains =
      callId === undefined ? [...this.#chains.values()] : [this.#chains.get(callId) ?? Promise.resolve()];
    await Promise.all(chains);
  }

  /** Stops retrying; queued notifications are marked failed. */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Queues `notification` for the call's callback URI, behind earlier ones for the same call.
   * Returns the delivery record (its `outcome` fills in as delivery proceeds).
   */
  enqueue(callId: string, callbackUri: string, notification: CommsNotification): DeliveryRecord {
    const rec: DeliveryRecord = {
      seq: ++this.#seq,
      callId,
      callbackUri,
      changeType: notification.changeType,
      resourceUrl: notification.resourceUrl,
      odataType: odataTypeOf(notification),
      notification,
      attempts: [],
      outcome: 'pending',
    };
    this.#records.push(rec);
    const fault = this.#opts.faults.takeNotificationFault({
      changeType: rec.changeType,
      resourceUrl: rec.resourceUrl,
      odataType: rec.odataType,
    });
    if (fault === 'drop') {
      rec.outcome = 'dropped';
      return rec;
    }
    if (fault === 'reorder' && !this.#held.has(callId)) {
      rec.reordered = true;
      this.#held.set(callId, rec);
      return rec;
    }
    this.#chain(callId, rec);
    if (fault === 'duplicate') {
      const copy: DeliveryRecord = {
        ...rec,
        seq: ++this.#seq,
        attempts: [],
        outcome: 'pending',
        duplicate: true,
      };
      this.#records.push(copy);
      this.#chain(callId, copy);
    }
    const held = this.#held.get(callId);
    if (held && held !== rec) {
      this.#held.delete(callId);
      this.#chain(callId, held);
    }
    return rec;
  }

  /** Sends a held-back (reordered) notification now, when nothing followed it. */
  flushHeld(callId: string): void {
    const held = this.#held.get(callId);
    if (held) {
      this.#held.delete(callId);
      this.#chain(callId, held);
    }
  }

  #chain(callId: string, rec: DeliveryRecord): void {
    const prev = this.#chains.get(callId) ?? Promise.resolve();
    this.#chains.set(
      callId,
      prev.then(() => this.#deliver(rec)),
    );
  }

  async #deliver(rec: DeliveryRecord): Promise<void> {
    const { clock } = this.#opts;
    let url: URL;
    try {
      url = new URL(rec.callbackUri);
    } catch {
      rec.attempts.push({ at: clock.now(), error: `callback URI is not a URL: ${rec.callbackUri}` });
      rec.outcome = 'failed';
      return;
    }
    if (!LOOPBACK.has(url.hostname) || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      rec.attempts.push({
        at: clock.now(),
        error: `callback host '${url.hostname}' is not on this machine; not posted`,
      });
      rec.outcome = 'failed';
      return;
    }
    const body = JSON.stringify({
      '@odata.type': '#microsoft.graph.commsNotifications',
      value: [rec.notification],
    });
    for (let attempt = 0; attempt <= this.#opts.maxRetries; attempt++) {
      if (this.#stopped) {
        rec.outcome = 'failed';
        return;
      }
      if (attempt > 0) await clock.sleep(this.#opts.retryBaseMs * 2 ** (attempt - 1));
      const at = clock.now();
      try {
        const token = await this.#opts.signToken();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body,
          signal: AbortSignal.timeout(this.#opts.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        rec.attempts.push({ at, status: res.status });
        if (res.status >= 200 && res.status < 300) {
          rec.outcome = 'delivered';
          return;
        }
        if (res.status < 500 && res.status !== 429 && res.status !== 408) {
          rec.outcome = 'failed';
          return;
        }
      } catch (err) {
        rec.attempts.push({ at, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
    }
    rec.outcome = 'failed';
  }
}
