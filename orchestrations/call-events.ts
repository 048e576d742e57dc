/**
 * Graph notifications (`CallEvent`s as the calling webhook raises them, without `raw`) mapped to
 * what the call orchestration acts on: interpreter `FlowEvent`s, or a few orchestration-level
 * signals (media established, recording to fetch, call terminated). Pure and deterministic.
 *
 * Correlation follows Graph: operations by `clientContext` (the interpreter's command id; the
 * cancel of playback `X` is sent with clientContext `X:cancel`), tones by `sequenceId`
 * (call-subscribetotone), transfers by the call's state (call-transfer: `terminated` 7015 =
 * completed, `established` with a failing `resultInfo` = failed). `transferAccepted` is NOT
 * passed on: a transfer can still fail after the target accepted (it then returns to
 * `established` with a failing `resultInfo`), and the flow must still be there to take its
 * `failed` branch; the call counts as transferred only once Graph completed the transfer.
 */
import type { FlowEvent } from '../shared/flow/index.js';
import type { GraphEventPayload } from './activity-contracts.js';

/** Graph's subcode for an operation ended by cancelMediaProcessing (media-platform `8508`). */
export const SUBCODE_CANCELED = 8508;

/** The clientContext sent with the cancelMediaProcessing of playback `commandId`. */
export function cancelContext(commandId: string): string {
  return `${commandId}:cancel`;
}

/** What an incoming Graph event means to the orchestration. */
export type MappedEvent =
  | { kind: 'flow'; event: FlowEvent }
  /** A recordResponse completed: fetch `recordingLocation` with the token now, then tell the interpreter. */
  | {
      kind: 'saveRecording';
      commandId: string;
      recordingLocation: string;
      recordingAccessToken: string;
    }
  /** `state: established`; `audioActive` false when Graph said audio media is not active yet. */
  | { kind: 'established'; audioActive: boolean }
  /** The call is over (`terminated`) for a reason other than a transfer. */
  | { kind: 'terminated' }
  | { kind: 'ignore'; why: string };

/** What the mapping needs besides the event. */
export interface MapContext {
  /** `at` for the produced event (the orchestration's current time). */
  at: string;
  /** Playback command ids cancelled for barge-in: their failure notifications are cancellations. */
  canceled: readonly string[];
}

interface ResultInfoLike {
  code?: unknown;
  subcode?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function resultOf(e: GraphEventPayload): { code?: number; subcode?: number } {
  const r = e.resultInfo as ResultInfoLike | undefined;
  return {
    ...(typeof r?.code === 'number' ? { code: r.code } : {}),
    ...(typeof r?.subcode === 'number' ? { subcode: r.subcode } : {}),
  };
}

function operation(e: GraphEventPayload, ctx: MapContext): MappedEvent {
  if (e.kind === 'operationUpdated') return { kind: 'ignore', why: 'operation still running' };
  const cc = str(e.clientContext);
  if (cc === undefined) return { kind: 'ignore', why: 'operation without clientContext' };
  const succeeded = e.succeeded === true;
  const at = ctx.at;
  switch (e.operationType) {
    case 'playPrompt': {
      const { subcode } = resultOf(e);
      const reason = str(e.completionReason) ?? '';
      const status = succeeded
        ? 'completed'
        : ctx.canceled.includes(cc) || subcode === SUBCODE_CANCELED || /cancel/i.test(reason)
          ? 'canceled'
          : 'failed';
      return { kind: 'flow', event: { type: 'promptCompleted', commandId: cc, status, at } };
    }
    case 'recordResponse': {
      const location = str(e.recordingLocation);
      const token = str(e.recordingAccessToken);
      if (succeeded && location !== undefined && token !== undefined)
        return {
          kind: 'saveRecording',
          commandId: cc,
          recordingLocation: location,
          recordingAccessToken: token,
        };
      return {
        kind: 'flow',
        event: { type: 'recordingCompleted', commandId: cc, status: succeeded ? 'completed' : 'failed', at },
      };
    }
    default:
      if (e.kind === 'operationFailed' && !cc.endsWith(':cancel')) {
        const { code, subcode } = resultOf(e);
        return {
          kind: 'flow',
          event: {
            type: 'commandFailed',
            commandId: cc,
            code: 'GRAPH.OPERATION_FAILED',
            message: `${String(e.operationType)} failed${code === undefined ? '' : ` (${code}${subcode === undefined ? '' : `/${subcode}`})`}`,
            at,
          },
        };
      }
      return { kind: 'ignore', why: `${String(e.operationType)} ${e.kind}` };
  }
}

/** Maps one Graph event. Never throws: anything not understood is `ignore`. */
export function mapGraphEvent(e: GraphEventPayload, ctx: MapContext): MappedEvent {
  const at = ctx.at;
  switch (e.kind) {
    case 'operationCompleted':
    case 'operationFailed':
    case 'operationUpdated':
      return operation(e, ctx);
    case 'tone': {
      const key = str(e.key);
      if (key === undefined) return { kind: 'ignore', why: 'tone without a DTMF key' };
      const seq = e.sequenceId;
      const sequenceId = typeof seq === 'number' || typeof seq === 'string' ? seq : `${at}:${key}`;
      return { kind: 'flow', event: { type: 'tone', key, sequenceId, at } };
    }
    case 'transferAccepted':
      return { kind: 'ignore', why: 'transfer accepted; waiting for it to complete or fail' };
    case 'transferCompleted':
      return { kind: 'flow', event: { type: 'transferCompleted', at } };
    case 'transferFailed': {
      const { code, subcode } = resultOf(e);
      return {
        kind: 'flow',
        event: {
          type: 'transferFailed',
          code: `TRANSFER.FAILED${code === undefined ? '' : `_${code}`}${subcode === undefined ? '' : `_${subcode}`}`,
          at,
        },
      };
    }
    case 'callEstablished':
      return { kind: 'established', audioActive: e.audioActive !== false };
    case 'callTerminated':
      return { kind: 'terminated' };
    default:
      return { kind: 'ignore', why: e.kind };
  }
}
