/**
 * Fault injection for tests: make the simulator misbehave the way Graph sometimes does, so the
 * bot's retry and idempotency handling is exercised against real HTTP.
 * - Request faults (the bot's calls to Graph): the next N requests matching a method and a path
 *   regex answer 429 with `Retry-After`, 503, 504, or are answered only after a delay.
 * - Notification faults (Graph's posts to the bot): the next N matching notifications are dropped,
 *   delivered twice, or held back and delivered after the call's next notification (reordered).
 */

/** What a request fault does. */
export type RequestFaultKind = 'throttle' | 'unavailable' | 'gatewayTimeout' | 'slow';

/** A request fault rule. `path` is matched against the path without query (e.g. `/v1.0/communications/calls/abc/playPrompt`). */
export interface RequestFault {
  kind: RequestFaultKind;
  /** HTTP method to match (any when absent), case-insensitive. */
  method?: string | undefined;
  /** Path regex (a `RegExp` or its source string); any path when absent. */
  path?: RegExp | string | undefined;
  /** How many matching requests are affected (default 1). */
  count?: number | undefined;
  /** For `throttle`: seconds sent in `Retry-After` (default 1). Also sent on `unavailable` when set. */
  retryAfterSeconds?: number | undefined;
  /** For `slow`: extra simulated ms before the request is handled (default 1000). */
  delayMs?: number | undefined;
}

/** What a notification fault does. */
export type NotificationFaultKind = 'drop' | 'duplicate' | 'reorder';

/** A notification fault rule, matched against each notification before it is posted. */
export interface NotificationFault {
  kind: NotificationFaultKind;
  /** Only notifications whose `resourceUrl` matches (regex or source string). */
  resource?: RegExp | string | undefined;
  /** Only notifications with this `changeType`. */
  changeType?: 'created' | 'updated' | 'deleted' | undefined;
  /** Only notifications whose resourceData `@odata.type` matches (regex or source string), e.g. `playPromptOperation`. */
  odataType?: RegExp | string | undefined;
  /** How many matching notifications are affected (default 1). */
  count?: number | undefined;
}

interface Armed<T> {
  rule: T;
  remaining: number;
  pathRe?: RegExp | undefined;
  resourceRe?: RegExp | undefined;
  typeRe?: RegExp | undefined;
}

function toRegExp(value: RegExp | string | undefined, where: string): RegExp | undefined {
  if (value === undefined) return undefined;
  if (value instanceof RegExp) return value;
  try {
    return new RegExp(value);
  } catch {
    throw new TypeError(`${where}: not a valid regular expression: ${value}`);
  }
}

const REQUEST_KINDS: readonly string[] = ['throttle', 'unavailable', 'gatewayTimeout', 'slow'];
const NOTIFICATION_KINDS: readonly string[] = ['drop', 'duplicate', 'reorder'];

/** Holds armed faults; shared by the HTTP layer and the notifier. */
export class FaultInjector {
  readonly #requests: Armed<RequestFault>[] = [];
  readonly #notifications: Armed<NotificationFault>[] = [];

  /**
   * Arms a request fault. Throws `TypeError` for an unknown kind, a bad regex or a count < 1.
   */
  request(rule: RequestFault): void {
    if (!REQUEST_KINDS.includes(rule.kind))
      throw new TypeError(
        `faults.request: unknown kind '${String(rule.kind)}' (expected ${REQUEST_KINDS.join(', ')})`,
      );
    const remaining = rule.count ?? 1;
    if (!Number.isInteger(remaining) || remaining < 1)
      throw new TypeError('faults.request: count must be an integer >= 1');
    this.#requests.push({ rule, remaining, pathRe: toRegExp(rule.path, 'faults.request: path') });
  }

  /** Arms a notification fault. Throws `TypeError` for an unknown kind, a bad regex or a count < 1. */
  notification(rule: NotificationFault): void {
    if (!NOTIFICATION_KINDS.includes(rule.kind)) {
      throw new TypeError(
        `faults.notification: unknown kind '${String(rule.kind)}' (expected ${NOTIFICATION_KINDS.join(', ')})`,
      );
    }
    const remaining = rule.count ?? 1;
    if (!Number.isInteger(remaining) || remaining < 1)
      throw new TypeError('faults.notification: count must be an integer >= 1');
    this.#notifications.push({
      rule,
      remaining,
      resourceRe: toRegExp(rule.resource, 'faults.notification: resource'),
      typeRe: toRegExp(rule.odataType, 'faults.notification: odataType'),
    });
  }

  /** Removes every armed fault. */
  clear(): void {
    this.#requests.length = 0;
    this.#notifications.length = 0;
  }

  /** Armed faults with their remaining counts (for `/sim/health` and debugging). */
  pending(): {
    requests: (RequestFault & { remaining: number })[];
    notifications: (NotificationFault & { remaining: number })[];
  } {
    return {
      requests: this.#requests.map((a) => ({ ...a.rule, path: a.pathRe?.source, remaining: a.remaining })),
      notifications: this.#notifications.map((a) => ({
        ...a.rule,
        resource: a.resourceRe?.source,
        odataType: a.typeRe?.source,
        remaining: a.remaining,
      })),
    };
  }

  /** Consumes and returns the first request fault matching this request, if any. */
  takeRequestFault(method: string, path: string): RequestFault | undefined {
    const i = this.#requests.findIndex(
      (a) =>
        (a.rule.method === undefined || a.rule.method.toUpperCase() === method.toUpperCase()) &&
        (a.pathRe === undefined || a.pathRe.test(path)),
    );
    const armed = i >= 0 ? this.#requests[i] : undefined;
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#requests.splice(i, 1);
    return armed.rule;
  }

  /** Consumes and returns the first notification fault matching this notification, if any. */
  takeNotificationFault(n: {
    changeType: string;
    resourceUrl: string;
    odataType: string;
  }): NotificationFaultKind | undefined {
    const i = this.#notifications.findIndex(
      (a) =>
        (a.rule.changeType === undefined || a.rule.changeType === n.changeType) &&
        (a.resourceRe === undefined || a.resourceRe.test(n.resourceUrl)) &&
        (a.typeRe === undefined || a.typeRe.test(n.odataType)),
    );
    const armed = i >= 0 ? this.#notifications[i] : undefined;
    if (!armed) return undefined;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.#notifications.splice(i, 1);
    return armed.rule.kind;
  }
}
