/**
 * Activity `resolveFlow`: the dialled number → its bound flow's PUBLISHED version, validated and
 * pinned for the whole call; creates the call record. A second start of a call whose record
 * already ended (a late duplicate incoming notification after the instance completed) answers
 * `duplicate`, so nothing is done twice. Also hands the orchestrator its call settings (it never
 * reads config itself).
 *
 * Throws `STORE.UNAVAILABLE` (retryable) when the store cannot be reached.
 */
import type { SwitchboardConfig } from '../../shared/config/config.js';
import { validateFlowObject, type Flow } from '../../shared/flow/index.js';
import { isStoreError, StoreErrorCode, type Store } from '../../shared/store/index.js';
import type { CallSettings, ResolveFlowInput, ResolveFlowOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';

const E164 = /^\+[1-9][0-9]{1,14}$/;
/** Validated published versions kept per process (they are immutable, so never stale). */
const CACHE_SIZE = 200;

/** Variables holding caller input: `collectDigits.into`, sorted. */
export function callerInputVariables(flow: Flow): string[] {
  const names = new Set<string>();
  for (const step of Object.values(flow.steps)) if (step.type === 'collectDigits') names.add(step.into);
  return [...names].sort();
}

/** The orchestrator's settings from config. */
export function callSettings(config: SwitchboardConfig): CallSettings {
  return {
    keepAliveIntervalMs: config.calls.keepAliveIntervalMs,
    maxDurationMs: config.calls.maxDurationMs,
    mediaTimeoutMs: config.calls.mediaTimeoutMs,
    historyEventsBeforeContinue: config.calls.historyEventsBeforeContinue,
  };
}

/** Builds `resolveFlow` on a store and the config. */
export function createResolveFlowActivity(deps: {
  store: Store;
  config: SwitchboardConfig;
}): ActivityFn<'resolveFlow'> {
  const { store, config } = deps;
  const settings = callSettings(config);
  // Published versions never change: validate each once per process (off the incoming → answer path).
  const validated = new Map<string, Flow | null>();
  const validate = (flowId: string, version: number, document: unknown): Flow | null => {
    const key = `${flowId}@${version}`;
    let flow = validated.get(key);
    if (flow === undefined) {
      const checked = validateFlowObject(document, { allowedHosts: config.calls.httpAllowedHosts });
      // The store stamps `version` on published documents; pin exactly that.
      flow = checked.flow === undefined ? null : { ...checked.flow, version };
      validated.set(key, flow);
      if (validated.size > CACHE_SIZE) validated.delete(validated.keys().next().value ?? key);
    }
    return flow;
  };
  return async (input: ResolveFlowInput): Promise<ResolveFlowOutput> => {
    const binding = E164.test(input.to) ? await store.numbers.lookup(input.to) : undefined;
    const published = binding === undefined ? undefined : await store.flows.getPublished(binding.flowId);
    const record = {
      callId: input.callId,
      from: input.from,
      to: input.to,
      startedAt: input.receivedAt,
      ...(published === undefined ? {} : { flowId: published.flowId, flowVersion: published.version }),
    };
    try {
      await store.calls.create(record);
    } catch (err) {
      if (!isStoreError(err) || err.code !== StoreErrorCode.Conflict) throw err;
      // The record exists: this activity ran before (a retry) or the call is a late duplicate.
      const existing = await store.calls.get(input.callId);
      if (existing?.status === 'ended') return { kind: 'duplicate' };
    }
    if (published === undefined) return { kind: 'noFlow', settings };
    const flow = validate(published.flowId, published.version, published.document);
    if (flow === null)
      return { kind: 'invalidFlow', flowId: published.flowId, flowVersion: published.version, settings };
    return {
      kind: 'flow',
      flow,
      flowId: published.flowId,
      flowVersion: published.version,
      settings,
      collect: callerInputVariables(flow),
    };
  };
}

registerActivity('resolveFlow', (s) => createResolveFlowActivity(s));
