/**
 * The local Durable task hub: a small DTFx-like backend that drives `durable-functions`' own replay
 * executor (../../../shared/notes/local-runtime.md Q2). Each *episode* of an instance feeds the
 * orchestrator its whole history plus the new events (a fresh `OrchestratorStarted` first), reads
 * back the cumulative action list, replays it against the sequence ids it handed out before
 * (nondeterminism check), schedules the new actions, and commits the new history, the consumed
 * inbox messages and the new work in ONE SQLite transaction.
 *
 * Semantics copied from DTFx / the Durable extension:
 * - sequence ids 0,1,2,... for id-consuming actions in depth-first order (WhenAny/WhenAll
 *   flattened); `WaitForExternalEvent` and `ContinueAsNew` consume none;
 * - retries (`RetryInterceptor`): after each failed attempt a retry timer (next id) fires after
 *   `first * coefficient^(attempt-1)` ms (capped by the max interval), then the next attempt (next
 *   id) runs; the retry timeout stops further attempts;
 * - external events are appended to history when they arrive (the SDK buffers them until awaited);
 * - completions are tagged with the `ExecutionId`; those of a replaced execution are dropped;
 * - a failed orchestrator's output is `Orchestrator function 'X' failed: <message>`.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import type { DurableFunctionInvoker, InvocationResult, RpcTypedData } from '../host-contract.js';
import {
  ActionType,
  actionInputToJson,
  consumesSequenceId,
  EventType,
  flattenActions,
  makeEvent,
  type HistoryEvent,
  type OrchestratorStateWire,
  type WireAction,
} from './history.js';
import {
  emptyExecutionState,
  HubStore,
  TERMINAL_STATUSES,
  type ExecutionState,
  type InboxMessage,
  type InboxRow,
  type InstanceFilter,
  type InstanceRecord,
  type RuntimeStatus,
  type WorkItem,
} from './store.js';

/** Options of {@link TaskHub}. */
export interface TaskHubOptions {
  /** Folder of the SQLite file (`durable-<hubName>.sqlite`); created if missing. */
  dataDir: string;
  /** Runs orchestrator and activity functions (the Functions host's registry). */
  invoker: DurableFunctionInvoker;
  /** Task hub name (default: `extensions.durableTask.hubName` of `./host.json`, else `TestHubName`). */
  hubName?: string;
  /** Activities running at once (default 10, like the extension's default per core count). */
  maxConcurrentActivityFunctions?: number;
  /** Orchestrator episodes running at once (default 10). */
  maxConcurrentOrchestratorFunctions?: number;
  /** Clock in epoch ms (default `Date.now`); used for history timestamps and timer due times. */
  clock?: () => number;
  /** Where diagnostics go (default: stderr for warnings and errors). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/** Options of {@link TaskHub.startNew}. */
export interface StartOptions {
  instanceId?: string;
  /** The orchestration input (any JSON value). Ignored when `inputJson` is given. */
  input?: unknown;
  /** The input as JSON text (what the HTTP API receives). */
  inputJson?: string;
  version?: string;
}

/** What {@link TaskHub.getStatus} returns: the instance plus, on request, its raw history. */
export interface InstanceStatus {
  instance: InstanceRecord;
  history?: HistoryEvent[];
}

/** Outcome of a message sent to an instance: accepted, or the instance is terminal (HTTP 410). */
export type SendOutcome = 'accepted' | 'gone';

const CONTROL_KINDS = new Set(['terminate', 'suspend', 'resume']);
const UNSUPPORTED_ACTIONS: Record<number, string> = {
  [ActionType.CallEntity]: 'callEntity',
  [ActionType.CallHttp]: 'callHttp',
  [ActionType.SignalEntity]: 'signalEntity',
  [ActionType.LockEntities]: 'lock',
  [ActionType.ReleaseEntities]: 'lock release',
};
/** Instances whose history stays in memory between episodes (others are reloaded from SQLite). */
const MAX_CACHED_INSTANCES = 1000;
/** Timers run as one durable timer however long (no Azure Storage 6-day split locally). */
const MAX_SHORT_TIMER = '36500.00:00:00';

/** Reads `extensions.durableTask.hubName` from `./host.json`, if any. */
function hubNameFromHostJson(): string | undefined {
  try {
    const host = JSON.parse(fs.readFileSync(path.resolve('host.json'), 'utf8')) as {
      extensions?: { durableTask?: { hubName?: unknown } };
    };
    const name = host.extensions?.durableTask?.hubName;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

function newExecutionId(): string {
  return randomUUID().replace(/-/g, '');
}

/** Converts a function's return value into the JSON text DTFx stores as `Result`. */
export function typedDataToJson(data: RpcTypedData | undefined): string {
  if (!data) return 'null';
  if ('json' in data && typeof data.json === 'string') return data.json;
  if ('string' in data && typeof data.string === 'string') return JSON.stringify(data.string);
  if ('int' in data && data.int !== undefined) return JSON.stringify(Number(data.int));
  if ('double' in data && data.double !== undefined) return JSON.stringify(Number(data.double));
  if ('bytes' in data && data.bytes instanceof Uint8Array)
    return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  return 'null';
}

const OOP_MARKER = '$OutOfProcData$:';

/** Extracts the `OrchestratorState` from an orchestrator invocation (return value or failure error). */
function readOrchestratorState(result: InvocationResult): OrchestratorStateWire {
  const rv = result.returnValue;
  const text = rv && 'json' in rv ? rv.json : rv && 'string' in rv ? rv.string : undefined;
  if (typeof text !== 'string') throw new Error('The orchestrator function returned no orchestrator state.');
  return JSON.parse(text) as OrchestratorStateWire;
}

function stateFromFailure(err: Error): OrchestratorStateWire | undefined {
  const at = err.message.indexOf(OOP_MARKER);
  if (at < 0) return undefined;
  try {
    return JSON.parse(err.message.slice(at + OOP_MARKER.length)) as OrchestratorStateWire;
  } catch {
    return undefined;
  }
}

function parseJsonOrNull(text: string | null | undefined): unknown {
  if (text == null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

interface CacheEntry {
  inst: InstanceRecord;
  history: HistoryEvent[];
}

interface PendingCompletion {
  work: WorkItem;
  event: HistoryEvent;
}

/** A row to insert into some instance's inbox when the episode commits. */
interface Outgoing {
  instanceId: string;
  executionId: string | null;
  taskId: number | null;
  message: InboxMessage;
  visibleAt: number;
}

/**
 * The task hub. Create it with {@link createTaskHub} (index.ts), `await start()`, and `await stop()`
 * at the end. All public methods throw `AppError`s: `DURABLE.NOT_STARTED`,
 * `DURABLE.INSTANCE_NOT_FOUND`, `DURABLE.INSTANCE_EXISTS` (a non-terminal instance has the id),
 * `DURABLE.ORCHESTRATOR_NOT_FOUND`, `DURABLE.PRECONDITION_FAILED` (rewind/purge of an instance in
 * the wrong state), `DURABLE.BAD_REQUEST`.
 */
export class TaskHub {
  readonly hubName: string;
  readonly dataFile: string;
  private readonly invoker: DurableFunctionInvoker;
  private readonly maxActivities: number;
  private readonly maxOrchestrators: number;
  private readonly now: () => number;
  private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  private store: HubStore | undefined;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ready = new Set<string>();
  private readonly runningEpisodes = new Set<string>();
  private readonly activityQueue: WorkItem[] = [];
  private activeActivities = 0;
  private completions: PendingCompletion[] = [];
  private flushScheduled = false;
  private pumpScheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  /** When the armed wake-up fires, in `performance.now()` ms. */
  private wakeAt: number | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private started = false;
  private stopping = false;

  constructor(options: TaskHubOptions) {
    this.hubName = options.hubName ?? hubNameFromHostJson() ?? 'TestHubName';
    if (!/^[A-Za-z][A-Za-z0-9]{2,49}$/.test(this.hubName)) {
      throw new AppError(
        'DURABLE.BAD_HUB_NAME',
        `Task hub name "${this.hubName}" must be 3-50 letters or digits, starting with a letter (as in Azure).`,
      );
    }
    this.dataFile = path.join(options.dataDir, `durable-${this.hubName}.sqlite`);
    this.invoker = options.invoker;
    this.maxActivities = Math.max(1, options.maxConcurrentActivityFunctions ?? 10);
    this.maxOrchestrators = Math.max(1, options.maxConcurrentOrchestratorFunctions ?? 10);
    this.now = options.clock ?? Date.now;
    this.log =
      options.log ??
      ((level, message) => {
        if (level !== 'info') console.error(`[durable] ${message}`);
      });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Opens the store and resumes every instance: pending work items rerun, due timers fire. */
  start(): Promise<void> {
    if (this.started) return Promise.resolve();
    this.store = new HubStore(this.dataFile);
    this.started = true;
    this.stopping = false;
    const now = this.now();
    for (const w of this.store.allWork()) this.activityQueue.push(w);
    for (const id of this.store.dueInstances(now)) this.ready.add(id);
    const next = this.store.nextVisibleAfter(now);
    if (next !== undefined) this.scheduleWake(next);
    this.schedulePump();
    this.pumpActivities();
    return Promise.resolve();
  }

  /** Stops taking work, waits for running episodes and activities to commit, closes the store. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.stopping = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = undefined;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    this.flushCompletions();
    this.store?.close();
    this.store = undefined;
    this.started = false;
    this.cache.clear();
    this.ready.clear();
    this.activityQueue.length = 0;
    for (const set of this.waiters.values()) for (const w of set) w();
  }

  private db(): HubStore {
    if (!this.store)
      throw new AppError('DURABLE.NOT_STARTED', 'The task hub is not started (call start() first).');
    return this.store;
  }

  // ---------------------------------------------------------------- client operations

  /**
   * Starts orchestration `name` (a registered orchestration function). Returns the instance id
   * (a new GUID without dashes unless given). A terminal instance with the same id is replaced.
   * Throws `DURABLE.ORCHESTRATOR_NOT_FOUND` (400) or `DURABLE.INSTANCE_EXISTS` (409).
   */
  startNew(name: string, options: StartOptions = {}): Promise<string> {
    const store = this.db();
    if (!this.invoker.functionsWithTrigger('orchestrationTrigger').includes(name)) {
      throw new AppError(
        'DURABLE.ORCHESTRATOR_NOT_FOUND',
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`,
        {
          metadata: { name },
        },
      );
    }
    const instanceId = options.instanceId ?? newExecutionId();
    if (instanceId === '' || /[/\\#?]/.test(instanceId) || instanceId.length > 256) {
      throw new AppError(
        'DURABLE.BAD_REQUEST',
        `Invalid instance id "${instanceId}": 1-256 characters without / \\ # ?.`,
      );
    }
    let inputJson = options.inputJson;
    if (inputJson === undefined)
      inputJson = options.input === undefined ? 'null' : JSON.stringify(options.input);
    else if (inputJson.trim() === '') inputJson = 'null';
    else {
      try {
        JSON.parse(inputJson);
      } catch {
        throw new AppError('DURABLE.BAD_REQUEST', 'The orchestration input is not valid JSON.');
      }
    }
    const now = this.now();
    store.transaction(() => {
      const existing = store.getInstance(instanceId);
      if (existing && !TERMINAL_STATUSES.has(existing.status)) {
        throw new AppError('DURABLE.INSTANCE_EXISTS', `An instance with ID '${instanceId}' already exists.`, {
          metadata: { instanceId },
        });
      }
      this.createInstance(store, {
        instanceId,
        name,
        version: options.version ?? null,
        inputJson,
        parent: null,
        now,
      });
    });
    this.cache.delete(instanceId);
    this.markReady(instanceId);
    return Promise.resolve(instanceId);
  }

  /** Creates (or replaces) an instance row with a start message; call inside a transaction. */
  private createInstance(
    store: HubStore,
    a: {
      instanceId: string;
      name: string;
      version: string | null;
      inputJson: string;
      parent: InstanceRecord['parent'];
      now: number;
    },
  ): void {
    const executionId = newExecutionId();
    store.deleteInstance(a.instanceId);
    store.putInstance({
      instanceId: a.instanceId,
      name: a.name,
      version: a.version,
      executionId,
      status: 'Pending',
      input: a.inputJson,
      output: null,
      customStatus: null,
      createdAt: a.now,
      updatedAt: a.now,
      parent: a.parent,
      state: emptyExecutionState(),
    });
    store.addInbox({
      instanceId: a.instanceId,
      executionId: null,
      taskId: null,
      visibleAt: a.now,
      message: {
        kind: 'start',
        event: this.executionStarted(
          a.instanceId,
          executionId,
          a.name,
          a.version,
          a.inputJson,
          a.parent,
          a.now,
        ),
      },
    });
  }

  private executionStarted(
    instanceId: string,
    executionId: string,
    name: string,
    version: string | null,
    inputJson: string,
    parent: InstanceRecord['parent'],
    now: number,
  ): HistoryEvent {
    return makeEvent(EventType.ExecutionStarted, now, {
      Name: name,
      Version: version ?? '',
      Input: inputJson,
      OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
      ParentInstance: parent
        ? {
            Name: parent.name,
            TaskScheduleId: parent.taskId,
            OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
          }
        : null,
    });
  }

  /**
   * Restarts an instance with its input (the extension's `restart` API): under a new instance id
   * (default) or under the same id, which must then be terminal. Returns the started id.
   * Throws `DURABLE.INSTANCE_NOT_FOUND` or `DURABLE.INSTANCE_EXISTS`.
   */
  restart(instanceId: string, restartWithNewInstanceId = true): Promise<string> {
    const inst = this.db().getInstance(instanceId);
    if (!inst)
      throw new AppError('DURABLE.INSTANCE_NOT_FOUND', `No instance with ID '${instanceId}' found.`, {
        metadata: { instanceId },
      });
    return this.startNew(inst.name, {
      ...(restartWithNewInstanceId ? {} : { instanceId }),
      inputJson: inst.input ?? 'null',
      ...(inst.version ? { version: inst.version } : {}),
    });
  }

  /**
   * Raises external event `eventName` with `data` (any JSON value) on an instance. The event is in
   * the store when this returns. Returns `gone` for a terminal instance; throws
   * `DURABLE.INSTANCE_NOT_FOUND`.
   */
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<SendOutcome> {
    if (eventName === '') throw new AppError('DURABLE.BAD_REQUEST', 'The event name must not be empty.');
    const input = data === undefined ? 'null' : JSON.stringify(data);
    return Promise.resolve(
      this.send(instanceId, {
        kind: 'event',
        event: makeEvent(EventType.EventRaised, this.now(), { Name: eventName, Input: input }),
      }),
    );
  }

  /** Terminates a non-terminal instance (`reason` becomes its output). */
  terminate(instanceId: string, reason: string): Promise<SendOutcome> {
    return Promise.resolve(this.send(instanceId, { kind: 'terminate', reason }));
  }

  /** Suspends a running instance: it keeps receiving events but runs no episode until resumed. */
  suspend(instanceId: string, reason: string): Promise<SendOutcome> {
    return Promise.resolve(this.send(instanceId, { kind: 'suspend', reason }));
  }

  /** Resumes a suspended instance. */
  resume(instanceId: string, reason: string): Promise<SendOutcome> {
    return Promise.resolve(this.send(instanceId, { kind: 'resume', reason }));
  }

  private send(instanceId: string, message: InboxMessage): SendOutcome {
    const store = this.db();
    const outcome = store.transaction((): SendOutcome => {
      const inst = store.getInstance(instanceId);
      if (!inst)
        throw new AppError('DURABLE.INSTANCE_NOT_FOUND', `No instance with ID '${instanceId}' found.`, {
          metadata: { instanceId },
        });
      if (TERMINAL_STATUSES.has(inst.status)) return 'gone';
      store.addInbox({ instanceId, executionId: null, taskId: null, message, visibleAt: this.now() });
      return 'accepted';
    });
    if (outcome === 'accepted') this.markReady(instanceId);
    return outcome;
  }

  /** The instance (and its history when asked), or undefined. */
  getStatus(instanceId: string, options: { showHistory?: boolean } = {}): InstanceStatus | undefined {
    const store = this.db();
    const instance = store.getInstance(instanceId);
    if (!instance) return undefined;
    return options.showHistory ? { instance, history: store.loadHistory(instanceId) } : { instance };
  }

  /** Instances matching `filter`, ordered by creation time, `top` after `skip` (top -1 = all). */
  listInstances(filter: InstanceFilter = {}, skip = 0, top = -1): InstanceRecord[] {
    return this.db().listInstances(filter, skip, top);
  }

  /**
   * Resolves with the instance once it is terminal (Completed, Failed, Terminated), or with its
   * current state after `timeoutMs` (default 60 s). Throws `DURABLE.INSTANCE_NOT_FOUND`.
   */
  async waitForCompletion(instanceId: string, timeoutMs = 60_000): Promise<InstanceRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = this.getStatus(instanceId);
      if (!st)
        throw new AppError('DURABLE.INSTANCE_NOT_FOUND', `No instance with ID '${instanceId}' found.`, {
          metadata: { instanceId },
        });
      const left = deadline - Date.now();
      if (TERMINAL_STATUSES.has(st.instance.status) || left <= 0 || !this.started) return st.instance;
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(instanceId) ?? new Set<() => void>();
        this.waiters.set(instanceId, set);
        const done = (): void => {
          clearTimeout(t);
          set.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 1000));
        set.add(done);
      });
    }
  }

  /** Deletes a terminal instance and its history. Returns 1 or 0 (not found); throws `DURABLE.PRECONDITION_FAILED` if running. */
  purge(instanceId: string): number {
    const store = this.db();
    const n = store.transaction(() => {
      const inst = store.getInstance(instanceId);
      if (!inst) return 0;
      if (!TERMINAL_STATUSES.has(inst.status)) {
        throw new AppError(
          'DURABLE.PRECONDITION_FAILED',
          `Instance '${instanceId}' is ${inst.status}; only terminal instances can be purged.`,
        );
      }
      return store.deleteInstance(instanceId) ? 1 : 0;
    });
    this.cache.delete(instanceId);
    return n;
  }

  /** Deletes the terminal instances matching `filter`; returns how many. */
  purgeBy(filter: InstanceFilter): number {
    const store = this.db();
    const statuses = (
      filter.statuses && filter.statuses.length > 0 ? filter.statuses : [...TERMINAL_STATUSES]
    ).filter((s) => TERMINAL_STATUSES.has(s));
    if (statuses.length === 0) return 0;
    return store.transaction(() => {
      let n = 0;
      for (const inst of store.listInstances({ ...filter, statuses })) {
        if (store.deleteInstance(inst.instanceId)) n++;
        this.cache.delete(inst.instanceId);
      }
      return n;
    });
  }

  /**
   * Rewinds a Failed instance (the extension's legacy rewind): removes the failures from its
   * history, reruns the failed activities (and rewinds failed sub-orchestrations), and lets the
   * orchestrator continue from there. Throws `DURABLE.INSTANCE_NOT_FOUND` or
   * `DURABLE.PRECONDITION_FAILED` (not Failed).
   */
  rewind(instanceId: string, reason: string): Promise<void> {
    const store = this.db();
    const touched: string[] = [];
    const work: WorkItem[] = [];
    store.transaction(() => this.rewindInTx(store, instanceId, reason, touched, work, true));
    for (const id of touched) this.cache.delete(id);
    for (const w of work) this.activityQueue.push(w);
    for (const id of touched) this.markReady(id);
    this.pumpActivities();
    return Promise.resolve();
  }

  private rewindInTx(
    store: HubStore,
    instanceId: string,
    reason: string,
    touched: string[],
    work: WorkItem[],
    top: boolean,
  ): void {
    const inst = store.getInstance(instanceId);
    if (!inst)
      throw new AppError('DURABLE.INSTANCE_NOT_FOUND', `No instance with ID '${instanceId}' found.`, {
        metadata: { instanceId },
      });
    if (inst.status !== 'Failed') {
      if (top)
        throw new AppError(
          'DURABLE.PRECONDITION_FAILED',
          `Instance '${instanceId}' is ${inst.status}; only Failed instances can be rewound.`,
        );
      return;
    }
    const history = store.loadHistory(instanceId);
    const scheduled = new Map<number, HistoryEvent>();
    for (const e of history) {
      if (
        e.EventType === EventType.TaskScheduled ||
        e.EventType === EventType.SubOrchestrationInstanceCreated
      )
        scheduled.set(e.EventId, e);
    }
    const kept: HistoryEvent[] = [];
    for (const e of history) {
      const id = e.TaskScheduledId;
      if (e.EventType === EventType.ExecutionCompleted) continue;
      if (e.EventType === EventType.TaskFailed && id !== undefined) {
        const s = scheduled.get(id);
        if (s) {
          const w = {
            instanceId,
            executionId: inst.executionId,
            taskId: id,
            name: s.Name ?? '',
            input: s.Input ?? 'null',
          };
          work.push({ ...w, id: store.addWork(w) });
          const ref = inst.state.tasks[String(id)];
          if (ref) ref.done = false;
          continue;
        }
      }
      if (e.EventType === EventType.SubOrchestrationInstanceFailed && id !== undefined) {
        const s = scheduled.get(id);
        if (s?.InstanceId) {
          this.rewindInTx(store, s.InstanceId, reason, touched, work, false);
          const ref = inst.state.tasks[String(id)];
          if (ref) ref.done = false;
          continue;
        }
      }
      kept.push(e);
    }
    kept.push(makeEvent(EventType.GenericEvent, this.now(), { Details: `Rewound: ${reason}` }));
    store.replaceHistory(instanceId, inst.executionId, kept);
    store.putInstance({ ...inst, status: 'Running', output: null, updatedAt: this.now() });
    touched.push(instanceId);
  }

  // ---------------------------------------------------------------- scheduling

  private markReady(instanceId: string): void {
    this.ready.add(instanceId);
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopping) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (!this.started || this.stopping) return;
    for (const id of this.ready) {
      if (this.runningEpisodes.size >= this.maxOrchestrators) break;
      if (this.runningEpisodes.has(id)) continue;
      this.ready.delete(id);
      this.runningEpisodes.add(id);
      const p = this.runEpisode(id)
        .catch((err: unknown) => {
          this.log(
            'error',
            `Episode of instance '${id}' failed in the task hub: ${ensureError(err).stack ?? String(err)}`,
          );
        })
        .finally(() => {
          this.runningEpisodes.delete(id);
          this.inflight.delete(p);
          this.schedulePump();
        });
      this.inflight.add(p);
    }
  }

  /**
   * Arms the wake-up for due time `at` (hub clock, epoch ms) unless the armed one fires no later.
   * Compared in real (monotonic) firing time, not in due times: the armed wake may be capped at an
   * hour, or its due time may already have passed on a clock that jumped forward while its
   * `setTimeout` still runs, so an earlier-firing new due time always re-arms it.
   */
  private scheduleWake(at: number): void {
    if (this.stopping) return;
    const delay = Math.min(Math.max(0, at - this.now()), 3_600_000);
    const firesAt = performance.now() + delay;
    if (this.wakeTimer !== undefined && this.wakeAt !== undefined && this.wakeAt <= firesAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = firesAt;
    this.wakeTimer = setTimeout(() => this.onWake(), delay);
  }

  private onWake(): void {
    this.wakeTimer = undefined;
    this.wakeAt = undefined;
    if (!this.store || this.stopping) return;
    const now = this.now();
    for (const id of this.store.dueInstances(now)) this.ready.add(id);
    const next = this.store.nextVisibleAfter(now);
    if (next !== undefined) this.scheduleWake(next);
    this.schedulePump();
  }

  private notifyWaiters(instanceId: string): void {
    const set = this.waiters.get(instanceId);
    if (!set) return;
    for (const w of [...set]) w();
  }

  // ---------------------------------------------------------------- activities

  private pumpActivities(): void {
    while (
      !this.stopping &&
      this.started &&
      this.activeActivities < this.maxActivities &&
      this.activityQueue.length > 0
    ) {
      const w = this.activityQueue.shift();
      if (!w) break;
      this.activeActivities++;
      const p = this.runActivity(w).finally(() => {
        this.activeActivities--;
        this.inflight.delete(p);
        this.pumpActivities();
      });
      this.inflight.add(p);
    }
  }

  private async runActivity(w: WorkItem): Promise<void> {
    let event: HistoryEvent;
    try {
      const result = await this.invoker.invoke(
        w.name,
        { json: w.input },
        { instanceId: { string: w.instanceId } },
      );
      event = makeEvent(EventType.TaskCompleted, this.now(), {
        TaskScheduledId: w.taskId,
        Result: typedDataToJson(result.returnValue),
      });
    } catch (err) {
      const e = ensureError(err);
      // History (and so the status API, the instance output and the orchestrator's error message,
      // which the SDK builds as `${Reason} \n ${Details}`) carries the error's name and message,
      // never its stack frames: those name files on this machine and go to the host log only.
      this.log('warn', `Activity '${w.name}' of instance '${w.instanceId}' failed: ${e.stack ?? e.message}`);
      event = makeEvent(EventType.TaskFailed, this.now(), {
        TaskScheduledId: w.taskId,
        Reason: `Activity function '${w.name}' failed: ${e.message}`,
        Details: `${e.name}: ${e.message}`,
      });
    }
    this.completions.push({ work: w, event });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushCompletions());
    }
  }

  /** Commits finished activities: deletes their work items and queues their results, in one transaction. */
  private flushCompletions(): void {
    this.flushScheduled = false;
    const batch = this.completions;
    if (batch.length === 0 || !this.store) return;
    this.completions = [];
    const store = this.store;
    const now = this.now();
    store.transaction(() => {
      for (const c of batch) {
        store.deleteWork(c.work.id);
        store.addInbox({
          instanceId: c.work.instanceId,
          executionId: c.work.executionId,
          taskId: null,
          visibleAt: now,
          message: { kind: 'event', event: c.event },
        });
      }
    });
    for (const c of batch) this.markReady(c.work.instanceId);
  }

  // ---------------------------------------------------------------- episodes

  private load(instanceId: string): CacheEntry | undefined {
    const cached = this.cache.get(instanceId);
    if (cached) return cached;
    const store = this.db();
    const inst = store.getInstance(instanceId);
    if (!inst) return undefined;
    const history = store.loadHistory(instanceId);
    for (const e of history) e.IsPlayed = true;
    const entry = { inst, history };
    this.cache.set(instanceId, entry);
    return entry;
  }

  private async runEpisode(instanceId: string): Promise<void> {
    const store = this.db();
    const now = this.now();
    const rows = store.visibleInbox(instanceId, now);
    if (rows.length === 0) return;
    const entry = this.load(instanceId);
    if (!entry || TERMINAL_STATUSES.has(entry.inst.status)) {
      store.transaction(() => store.deleteInbox(rows.map((r) => r.id)));
      return;
    }
    const ep = new Episode(this, entry, now);
    const isTerminate = rows.find((r) => r.message.kind === 'terminate');
    if (isTerminate) {
      ep.terminate(isTerminate.message.kind === 'terminate' ? isTerminate.message.reason : '');
      ep.consumeAll(rows);
      ep.clearOwnInbox = true;
      this.commit(ep);
      return;
    }
    for (const r of rows) {
      if (!CONTROL_KINDS.has(r.message.kind)) continue;
      ep.consumed.push(r.id);
      if (r.message.kind === 'suspend' && ep.inst.status !== 'Suspended') {
        ep.inst.status = 'Suspended';
        ep.standalone.push(makeEvent(EventType.ExecutionSuspended, now, { Reason: r.message.reason }));
      } else if (r.message.kind === 'resume' && ep.inst.status === 'Suspended') {
        ep.inst.status = 'Running';
        ep.standalone.push(makeEvent(EventType.ExecutionResumed, now, { Reason: r.message.reason }));
      }
    }
    const eventRows = rows.filter((r) => !CONTROL_KINDS.has(r.message.kind));
    if (ep.inst.status === 'Suspended' || eventRows.length === 0) {
      this.commit(ep);
      return;
    }
    ep.consumeAll(eventRows);
    const incoming = ep.admit(eventRows);
    if (incoming.length === 0) {
      this.commit(ep);
      return;
    }
    await ep.run(incoming);
    this.commit(ep);
  }

  /** Writes an episode's results in one transaction, then updates memory and wakes whoever is affected. */
  private commit(ep: Episode): void {
    const store = this.db();
    const id = ep.inst.instanceId;
    const workRows: WorkItem[] = [];
    store.transaction(() => {
      if (ep.resetHistory) store.replaceHistory(id, ep.inst.executionId, ep.newHistory());
      else store.appendHistory(id, ep.inst.executionId, ep.baseLength, ep.newHistory());
      store.deleteInbox(ep.consumed);
      if (ep.clearOwnInbox) store.clearInbox(id);
      if (ep.clearExecutionInbox) store.clearInbox(id, ep.clearExecutionInbox);
      for (const t of ep.canceledTimers) store.deleteTimer(id, ep.inst.executionId, t);
      for (const c of ep.children) {
        const existing = store.getInstance(c.instanceId);
        if (existing && !TERMINAL_STATUSES.has(existing.status)) {
          ep.outgoing.push({
            instanceId: id,
            executionId: ep.inst.executionId,
            taskId: null,
            visibleAt: ep.now,
            message: {
              kind: 'event',
              event: makeEvent(EventType.SubOrchestrationInstanceFailed, ep.now, {
                TaskScheduledId: c.taskId,
                Reason: `An orchestration instance with ID '${c.instanceId}' already exists.`,
                Details: '',
              }),
            },
          });
          continue;
        }
        this.createInstance(store, {
          instanceId: c.instanceId,
          name: c.name,
          version: c.version,
          inputJson: c.inputJson,
          parent: { instanceId: id, executionId: ep.inst.executionId, taskId: c.taskId, name: ep.inst.name },
          now: ep.now,
        });
        this.cache.delete(c.instanceId);
      }
      for (const o of ep.outgoing) {
        if (o.instanceId !== id && o.message.kind === 'event') {
          const target = store.getInstance(o.instanceId);
          if (
            !target ||
            TERMINAL_STATUSES.has(target.status) ||
            (o.executionId && target.executionId !== o.executionId)
          )
            continue;
        }
        store.addInbox(o);
      }
      for (const w of ep.work) workRows.push({ ...w, id: store.addWork(w) });
      ep.inst.updatedAt = ep.now;
      store.putInstance(ep.inst);
    });
    // Memory follows the committed state.
    const added = ep.newHistory();
    for (const e of added) e.IsPlayed = true;
    if (TERMINAL_STATUSES.has(ep.inst.status)) this.cache.delete(id);
    else {
      this.cache.delete(id); // re-insert: Map order is the eviction order
      this.cache.set(id, {
        inst: ep.inst,
        history: ep.resetHistory ? added : ep.entry.history.concat(added),
      });
      this.evictCache();
    }
    for (const w of workRows) this.activityQueue.push(w);
    if (workRows.length > 0) this.pumpActivities();
    for (const c of ep.children) this.markReady(c.instanceId);
    for (const o of ep.outgoing) {
      if (o.visibleAt <= this.now()) this.markReady(o.instanceId);
      else this.scheduleWake(o.visibleAt);
    }
    if (TERMINAL_STATUSES.has(ep.inst.status)) this.notifyWaiters(id);
  }

  /** Keeps at most {@link MAX_CACHED_INSTANCES} histories in memory (least recently committed go first). */
  private evictCache(): void {
    if (this.cache.size <= MAX_CACHED_INSTANCES) return;
    for (const id of this.cache.keys()) {
      if (this.cache.size <= MAX_CACHED_INSTANCES) break;
      if (!this.runningEpisodes.has(id)) this.cache.delete(id);
    }
  }

  /** @internal Invokes an orchestrator function with the trigger payload. */
  invokeOrchestrator(name: string, payload: unknown): Promise<InvocationResult> {
    return this.invoker.invoke(name, { string: JSON.stringify(payload) });
  }
}

/** A sub-orchestration to create when the episode commits. */
interface ChildStart {
  instanceId: string;
  name: string;
  version: string | null;
  inputJson: string;
  taskId: number;
}

/**
 * One episode of one instance: the state it works on is a copy; {@link TaskHub.commit} persists it.
 */
class Episode {
  readonly inst: InstanceRecord;
  readonly state: ExecutionState;
  readonly baseLength: number;
  readonly consumed: number[] = [];
  /** Events outside an orchestrator run (suspend/resume). */
  readonly standalone: HistoryEvent[] = [];
  /** OrchestratorStarted + incoming events + decisions + OrchestratorCompleted. */
  private readonly episodeEvents: HistoryEvent[] = [];
  readonly outgoing: Outgoing[] = [];
  readonly work: Omit<WorkItem, 'id'>[] = [];
  readonly children: ChildStart[] = [];
  readonly canceledTimers: number[] = [];
  clearOwnInbox = false;
  clearExecutionInbox: string | undefined;
  resetHistory = false;
  private resetEvents: HistoryEvent[] = [];

  constructor(
    private readonly hub: TaskHub,
    readonly entry: CacheEntry,
    readonly now: number,
  ) {
    this.inst = { ...entry.inst, state: structuredClone(entry.inst.state) };
    this.state = this.inst.state;
    this.baseLength = entry.history.length;
  }

  newHistory(): HistoryEvent[] {
    return this.resetHistory ? this.resetEvents : [...this.standalone, ...this.episodeEvents];
  }

  consumeAll(rows: InboxRow[]): void {
    for (const r of rows) this.consumed.push(r.id);
  }

  private toParent(event: HistoryEvent): void {
    const p = this.inst.parent;
    if (!p) return;
    this.outgoing.push({
      instanceId: p.instanceId,
      executionId: p.executionId,
      taskId: null,
      visibleAt: this.now,
      message: { kind: 'event', event },
    });
  }

  terminate(reason: string): void {
    this.inst.status = 'Terminated';
    this.inst.output = JSON.stringify(reason);
    this.standalone.push(
      makeEvent(EventType.ExecutionTerminated, this.now, { Input: JSON.stringify(reason) }),
    );
    this.toParent(
      makeEvent(EventType.SubOrchestrationInstanceFailed, this.now, {
        TaskScheduledId: this.inst.parent?.taskId ?? -1,
        Reason: `Sub-orchestration '${this.inst.instanceId}' was terminated: ${reason}`,
        Details: '',
      }),
    );
  }

  /**
   * Filters the incoming rows (stale executions, duplicate completions) and orders them: events
   * that make the SDK allocate a retry sequence id first (a failed retry attempt; a retry timer
   * with attempts left), in arrival order, then the rest. Allocations happen here, in that order.
   */
  admit(rows: InboxRow[]): HistoryEvent[] {
    const starts: HistoryEvent[] = [];
    const first: HistoryEvent[] = [];
    const rest: HistoryEvent[] = [];
    const seen = new Set<number>();
    for (const r of rows) {
      if (r.message.kind === 'start') {
        // ExecutionStarted always opens the execution's history (events raised meanwhile follow).
        if (this.entry.history.length === 0 && starts.length === 0) starts.push(r.message.event);
        continue;
      }
      if (r.message.kind !== 'event') continue;
      if (r.executionId !== null && r.executionId !== this.inst.executionId) continue;
      const e = r.message.event;
      const id = e.EventType === EventType.TimerFired ? e.TimerId : e.TaskScheduledId;
      if (id === undefined) {
        rest.push(e);
        continue;
      }
      const ref = this.state.tasks[String(id)];
      if (!ref || ref.done || seen.has(id)) continue;
      seen.add(id);
      ref.done = true;
      const retry = this.state.retries[String(ref.action)];
      const failed =
        e.EventType === EventType.TaskFailed || e.EventType === EventType.SubOrchestrationInstanceFailed;
      if (retry && failed) {
        first.push(e);
        this.retryFailed(ref.action, e);
      } else if (retry && ref.kind === 'retryTimer' && retry.attempt < retry.opts.maxNumberOfAttempts) {
        first.push(e);
        this.retryTimerFired(ref.action);
      } else rest.push(e);
    }
    return [...starts, ...first, ...rest];
  }

  private readonly decisions: HistoryEvent[] = [];

  private retryFailed(action: number, e: HistoryEvent): void {
    const retry = this.state.retries[String(action)];
    if (!retry) return;
    retry.lastReason = e.Reason ?? 'failed';
    retry.lastDetails = e.Details ?? '';
    const o = retry.opts;
    const timeout = o.retryTimeoutInMilliseconds;
    if (timeout !== undefined && timeout > 0 && this.now >= retry.firstAt + timeout) retry.expired = true;
    let delay = o.firstRetryIntervalInMilliseconds * Math.pow(o.backoffCoefficient ?? 1, retry.attempt - 1);
    if (o.maxRetryIntervalInMilliseconds !== undefined && o.maxRetryIntervalInMilliseconds > 0)
      delay = Math.min(delay, o.maxRetryIntervalInMilliseconds);
    // After the retry timeout the remaining attempts fail at once (the SDK only learns of the
    // final failure through the retry timer after the last attempt, so the timers still fire).
    if (retry.expired) delay = 0;
    const timerId = this.state.nextSeq++;
    const fireAt = this.now + Math.max(0, Math.round(delay));
    this.state.tasks[String(timerId)] = { kind: 'retryTimer', action };
    this.decisions.push(
      makeEvent(EventType.TimerCreated, this.now, { FireAt: new Date(fireAt).toISOString() }, timerId),
    );
    this.outgoing.push({
      instanceId: this.inst.instanceId,
      executionId: this.inst.executionId,
      taskId: timerId,
      visibleAt: fireAt,
      message: {
        kind: 'event',
        event: makeEvent(EventType.TimerFired, fireAt, {
          TimerId: timerId,
          FireAt: new Date(fireAt).toISOString(),
        }),
      },
    });
  }

  private retryTimerFired(action: number): void {
    const retry = this.state.retries[String(action)];
    const known = this.state.known[action];
    if (!retry || !known) return;
    retry.attempt++;
    const id = this.state.nextSeq++;
    const kind = known.type === ActionType.CallActivityWithRetry ? 'activity' : 'sub';
    this.state.tasks[String(id)] = { kind, action };
    if (retry.expired) {
      const type = kind === 'activity' ? EventType.TaskFailed : EventType.SubOrchestrationInstanceFailed;
      this.outgoing.push({
        instanceId: this.inst.instanceId,
        executionId: this.inst.executionId,
        taskId: null,
        visibleAt: this.now,
        message: {
          kind: 'event',
          event: makeEvent(type, this.now, {
            TaskScheduledId: id,
            Reason: retry.lastReason ?? 'retry timeout',
            Details: retry.lastDetails ?? '',
          }),
        },
      });
      return;
    }
    const input = this.retryInputs.get(action) ?? this.findScheduledInput(action);
    this.schedule(
      kind,
      id,
      known.name ?? '',
      input,
      known.type === ActionType.CallSubOrchestratorWithRetry ? this.retryChildIds.get(action) : undefined,
    );
  }

  private readonly retryInputs = new Map<number, string>();
  private readonly retryChildIds = new Map<number, string | undefined>();

  private findScheduledInput(action: number): string {
    const id = this.state.known[action]?.id;
    const e = this.entry.history.find(
      (h) =>
        (h.EventType === EventType.TaskScheduled ||
          h.EventType === EventType.SubOrchestrationInstanceCreated) &&
        h.EventId === id,
    );
    if (e?.EventType === EventType.SubOrchestrationInstanceCreated)
      this.retryChildIds.set(action, e.InstanceId);
    return e?.Input ?? 'null';
  }

  private schedule(
    kind: 'activity' | 'sub',
    id: number,
    name: string,
    inputJson: string,
    explicitChildId: string | undefined,
    version?: string,
  ): void {
    if (kind === 'activity') {
      this.decisions.push(makeEvent(EventType.TaskScheduled, this.now, { Name: name, Input: inputJson }, id));
      this.work.push({
        instanceId: this.inst.instanceId,
        executionId: this.inst.executionId,
        taskId: id,
        name,
        input: inputJson,
      });
    } else {
      const childId = explicitChildId || `${this.inst.instanceId}:${id}`;
      this.decisions.push(
        makeEvent(
          EventType.SubOrchestrationInstanceCreated,
          this.now,
          { Name: name, Input: inputJson, InstanceId: childId },
          id,
        ),
      );
      this.children.push({ instanceId: childId, name, version: version ?? null, inputJson, taskId: id });
    }
  }

  /** Runs the orchestrator on history + `incoming`, then turns its actions into decisions. */
  async run(incoming: HistoryEvent[]): Promise<void> {
    const inst = this.inst;
    if (inst.status === 'Pending' || inst.status === 'ContinuedAsNew') inst.status = 'Running';
    const started = makeEvent(EventType.OrchestratorStarted, this.now);
    const newEvents = [started, ...incoming];
    const startEvent =
      this.entry.history.find((e) => e.EventType === EventType.ExecutionStarted) ??
      incoming.find((e) => e.EventType === EventType.ExecutionStarted);
    const payload = {
      history: [...this.entry.history, ...newEvents],
      input: parseJsonOrNull(startEvent?.Input ?? inst.input),
      instanceId: inst.instanceId,
      isReplaying: this.entry.history.length > 0,
      parentInstanceId: inst.parent?.instanceId ?? null,
      upperSchemaVersion: 1,
      upperSchemaVersionNew: 2,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: MAX_SHORT_TIMER,
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    let state: OrchestratorStateWire | undefined;
    let failure: string | undefined;
    try {
      state = readOrchestratorState(await this.hub.invokeOrchestrator(inst.name, payload));
    } catch (err) {
      const e = ensureError(err);
      state = stateFromFailure(e);
      failure = state?.error ?? e.message;
    }
    this.episodeEvents.push(...newEvents);
    if (state?.customStatus !== undefined) inst.customStatus = JSON.stringify(state.customStatus);
    if (failure === undefined && state) failure = this.applyActions(state);
    this.episodeEvents.push(...this.decisions);
    if (failure !== undefined) {
      this.fail(`Orchestrator function '${inst.name}' failed: ${failure}`);
    } else if (state?.isDone) {
      const can = flattenActions(state.actions).find((a) => a.actionType === ActionType.ContinueAsNew);
      if (can) {
        this.continueAsNew(actionInputToJson(can));
        return;
      }
      inst.status = 'Completed';
      inst.output = state.output === undefined ? 'null' : JSON.stringify(state.output);
      this.episodeEvents.push(
        makeEvent(EventType.ExecutionCompleted, this.now, {
          OrchestrationStatus: 'Completed',
          Result: inst.output,
        }),
      );
      this.toParent(
        makeEvent(EventType.SubOrchestrationInstanceCompleted, this.now, {
          TaskScheduledId: inst.parent?.taskId ?? -1,
          Result: inst.output,
        }),
      );
    }
    this.episodeEvents.push(makeEvent(EventType.OrchestratorCompleted, this.now));
  }

  private fail(message: string): void {
    this.inst.status = 'Failed';
    this.inst.output = JSON.stringify(message);
    this.episodeEvents.push(
      makeEvent(EventType.ExecutionCompleted, this.now, {
        OrchestrationStatus: 'Failed',
        Result: this.inst.output,
      }),
    );
    this.toParent(
      makeEvent(EventType.SubOrchestrationInstanceFailed, this.now, {
        TaskScheduledId: this.inst.parent?.taskId ?? -1,
        Reason: message,
        Details: '',
      }),
    );
  }

  private continueAsNew(inputJson: string): void {
    const inst = this.inst;
    const oldExecution = inst.executionId;
    inst.executionId = newExecutionId();
    inst.status = 'ContinuedAsNew';
    inst.input = inputJson;
    inst.output = null;
    inst.state = emptyExecutionState();
    this.clearExecutionInbox = oldExecution;
    this.resetHistory = true;
    this.resetEvents = [];
    // Timers and messages of the old execution must not reach the new one.
    this.outgoing.length = 0;
    this.work.length = 0;
    this.children.length = 0;
    this.outgoing.push({
      instanceId: inst.instanceId,
      executionId: null,
      taskId: null,
      visibleAt: this.now,
      message: {
        kind: 'start',
        event: makeEvent(EventType.ExecutionStarted, this.now, {
          Name: inst.name,
          Version: inst.version ?? '',
          Input: inputJson,
          OrchestrationInstance: { InstanceId: inst.instanceId, ExecutionId: inst.executionId },
          ParentInstance: inst.parent
            ? {
                Name: inst.parent.name,
                TaskScheduleId: inst.parent.taskId,
                OrchestrationInstance: {
                  InstanceId: inst.parent.instanceId,
                  ExecutionId: inst.parent.executionId,
                },
              }
            : null,
        }),
      },
    });
  }

  /**
   * Replays the cumulative action list against the known actions (nondeterminism check) and
   * schedules the new ones. Returns a failure message, or undefined.
   */
  private applyActions(state: OrchestratorStateWire): string | undefined {
    const flat = flattenActions(state.actions);
    const known = this.state.known;
    for (let i = 0; i < Math.min(flat.length, known.length); i++) {
      const a = flat[i];
      const k = known[i];
      if (!a || !k) continue;
      const name = a.functionName ?? a.externalEventName;
      if (a.actionType !== k.type || (name ?? undefined) !== k.name) {
        return (
          `Non-Deterministic workflow detected: a previous execution of this orchestration scheduled ${describe(k.type, k.name)}` +
          `${k.id !== undefined ? ` with sequence ID ${k.id}` : ''}, but the current replay scheduled ${describe(a.actionType, name)} instead. ` +
          'Was a change made to the orchestrator code after this instance had already started running?'
        );
      }
      if (a.actionType === ActionType.CreateTimer && a.isCanceled && !k.canceled && k.id !== undefined) {
        k.canceled = true;
        this.canceledTimers.push(k.id);
      }
    }
    if (flat.length < known.length && !state.isDone) {
      const k = known[flat.length];
      if (k) {
        return (
          `Non-Deterministic workflow detected: a previous execution of this orchestration scheduled ${describe(k.type, k.name)}` +
          `${k.id !== undefined ? ` with sequence ID ${k.id}` : ''}, but the current replay execution hasn't scheduled it. ` +
          'Was a change made to the orchestrator code after this instance had already started running?'
        );
      }
    }
    for (let i = known.length; i < flat.length; i++) {
      const a = flat[i];
      if (!a) continue;
      const unsupported = UNSUPPORTED_ACTIONS[a.actionType];
      if (unsupported !== undefined)
        return `The local task hub does not support ${unsupported} (action type ${a.actionType}).`;
      const name = a.functionName ?? a.externalEventName;
      const id = consumesSequenceId(a) ? this.state.nextSeq++ : undefined;
      known.push({
        type: a.actionType,
        ...(name !== undefined ? { name } : {}),
        ...(id !== undefined ? { id } : {}),
      });
      if (id === undefined) continue;
      this.scheduleAction(a, i, id);
    }
    return undefined;
  }

  private scheduleAction(a: WireAction, index: number, id: number): void {
    switch (a.actionType) {
      case ActionType.CallActivity:
      case ActionType.CallActivityWithRetry:
      case ActionType.CallSubOrchestrator:
      case ActionType.CallSubOrchestratorWithRetry: {
        const isActivity =
          a.actionType === ActionType.CallActivity || a.actionType === ActionType.CallActivityWithRetry;
        const kind = isActivity ? 'activity' : 'sub';
        const inputJson = actionInputToJson(a);
        this.state.tasks[String(id)] = { kind, action: index };
        if (
          a.retryOptions &&
          (a.actionType === ActionType.CallActivityWithRetry ||
            a.actionType === ActionType.CallSubOrchestratorWithRetry)
        ) {
          this.state.retries[String(index)] = { opts: a.retryOptions, attempt: 1, firstAt: this.now };
          this.retryInputs.set(index, inputJson);
          this.retryChildIds.set(index, a.instanceId);
        }
        this.schedule(kind, id, a.functionName ?? '', inputJson, a.instanceId, a.version);
        return;
      }
      case ActionType.CreateTimer: {
        this.state.tasks[String(id)] = { kind: 'timer', action: index };
        const fireAt = Date.parse(a.fireAt ?? '');
        const at = Number.isNaN(fireAt) ? this.now : fireAt;
        const iso = new Date(at).toISOString();
        this.decisions.push(makeEvent(EventType.TimerCreated, this.now, { FireAt: iso }, id));
        const k = this.state.known[index];
        if (a.isCanceled) {
          if (k) k.canceled = true;
          return;
        }
        this.outgoing.push({
          instanceId: this.inst.instanceId,
          executionId: this.inst.executionId,
          taskId: id,
          visibleAt: at,
          message: {
            kind: 'event',
            event: makeEvent(EventType.TimerFired, at, { TimerId: id, FireAt: iso }),
          },
        });
        return;
      }
      default:
        return;
    }
  }
}

function describe(type: number, name: string | undefined): string {
  switch (type) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return `an activity task '${name ?? ''}'`;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return `a sub-orchestration '${name ?? ''}'`;
    case ActionType.CreateTimer:
      return 'a durable timer';
    case ActionType.WaitForExternalEvent:
      return `a wait for external event '${name ?? ''}'`;
    case ActionType.ContinueAsNew:
      return 'a continue-as-new';
    default:
      return `an action of type ${type}`;
  }
}

/** Maps the status names the HTTP API accepts (case-insensitive) to {@link RuntimeStatus}. */
export function parseRuntimeStatus(s: string): RuntimeStatus | undefined {
  const all: RuntimeStatus[] = [
    'Pending',
    'Running',
    'Completed',
    'ContinuedAsNew',
    'Failed',
    'Canceled',
    'Terminated',
    'Suspended',
  ];
  return all.find((x) => x.toLowerCase() === s.trim().toLowerCase());
}
