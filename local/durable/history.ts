/**
 * History events and orchestrator actions as the Durable Task Framework (DTFx) and
 * `durable-functions` v3 exchange them (../../../shared/notes/local-runtime.md Q2). Event field names
 * are DTFx's PascalCase wire names; `EventType` numbers follow `history/HistoryEventType.js` and
 * action numbers `actions/ActionType.js` in durable-functions 3.5.
 */

/** DTFx `EventType` numbers (durable-functions `HistoryEventType`). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

/** Name of each event type, for the status API (Azure renders `EventType` as a string there). */
export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

/**
 * One history event. Always `EventType`, `EventId` (the sequence id for scheduling events, -1
 * otherwise), `IsPlayed` and `Timestamp` (ISO 8601); the other fields depend on the type (see the
 * table in the notes): `TaskScheduledId` + `Result` on completions, `TaskScheduledId` + `Reason` +
 * `Details` on failures, `TimerId` + `FireAt` on TimerFired, `Name` + `Input` on EventRaised, ...
 */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Input?: string | null;
  Result?: string | null;
  Reason?: string;
  Details?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: {
    Name: string;
    TaskScheduleId: number;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
  } | null;
  Version?: string;
}

/** Builds an event of `type` at time `at` (epoch ms) with the given extra fields. */
export function makeEvent(
  type: number,
  at: number,
  fields: Partial<HistoryEvent> = {},
  eventId = -1,
): HistoryEvent {
  return {
    EventType: type,
    EventId: eventId,
    IsPlayed: false,
    Timestamp: new Date(at).toISOString(),
    ...fields,
  };
}

/** durable-functions `ActionType` numbers. */
export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
  LockEntities: 13,
  ReleaseEntities: 14,
} as const;

/** `RetryOptions` as serialised in CallActivityWithRetry / CallSubOrchestratorWithRetry actions. */
export interface WireRetryOptions {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** One action of an `OrchestratorState` (V2+ shape: compound actions nested). */
export interface WireAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: WireRetryOptions;
  instanceId?: string;
  version?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: WireAction[];
}

/** The `OrchestratorState` durable-functions returns (or embeds in `OrchestrationFailureError`). */
export interface OrchestratorStateWire {
  isDone: boolean;
  actions: WireAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  failureDetails?: unknown;
}

/**
 * Flattens the cumulative action list depth-first (WhenAny/WhenAll unwrapped), as DTFx's
 * `OutOfProcOrchestrationShim` replays it.
 */
export function flattenActions(actions: WireAction[][]): WireAction[] {
  const out: WireAction[] = [];
  const visit = (a: WireAction): void => {
    if (a.actionType === ActionType.WhenAny || a.actionType === ActionType.WhenAll) {
      for (const c of a.compoundActions ?? []) visit(c);
    } else out.push(a);
  };
  for (const group of actions) for (const a of group) visit(a);
  return out;
}

/** True when the action consumes a DTFx sequence id (activities, timers, sub-orchestrations, http, entities). */
export function consumesSequenceId(a: WireAction): boolean {
  return a.actionType !== ActionType.WaitForExternalEvent && a.actionType !== ActionType.ContinueAsNew;
}

/**
 * Turns an action input into JSON text. Activity and continue-as-new inputs arrive pre-encoded when
 * they are strings (`Utils.processInput`); sub-orchestration inputs arrive raw.
 */
export function actionInputToJson(a: WireAction): string {
  const preEncoded =
    a.actionType === ActionType.CallActivity ||
    a.actionType === ActionType.CallActivityWithRetry ||
    a.actionType === ActionType.ContinueAsNew;
  if (preEncoded && typeof a.input === 'string') return a.input;
  return a.input === undefined ? 'null' : JSON.stringify(a.input);
}
