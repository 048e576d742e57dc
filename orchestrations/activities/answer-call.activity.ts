/**
 * Activity `answerCall`: answers with service-hosted media (call-answer), callback URI
 * `config.bot.callbackUrl`, audio only. Sent first; the call record's `answeredAt` and the
 * timeline are written after the request (hot path: incoming → answer). Graph errors are values;
 * answer is not idempotent, so Durable never retries it (the Graph client already retried 429/503).
 */
import type { SwitchboardConfig } from '../../shared/config/config.js';
import { AppError } from '../../shared/errors/app-error.js';
import type { GraphCallsClient } from '../../shared/graph/calls-client.js';
import type { Store } from '../../shared/store/index.js';
import type { AnswerCallInput, AnswerCallOutput } from '../activity-contracts.js';
import { registerActivity, type ActivityFn } from './register.js';
import { appendQuietly } from './timeline.js';

/** Builds `answerCall`. */
export function createAnswerCallActivity(deps: {
  store: Store;
  graph: Pick<GraphCallsClient, 'answer'>;
  config: Pick<SwitchboardConfig, 'bot'>;
}): ActivityFn<'answerCall'> {
  return async (input: AnswerCallInput, log): Promise<AnswerCallOutput> => {
    const started = Date.now();
    const sentAt = new Date(started).toISOString();
    let code: string | undefined;
    try {
      await deps.graph.answer(input.callId, {
        callbackUri: deps.config.bot.callbackUrl,
        acceptedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      code = err.code;
    }
    const durationMs = Date.now() - started;
    await Promise.all([
      code === undefined
        ? deps.store.calls
            .mutate(input.callId, () => ({ answeredAt: sentAt }))
            .catch((err: unknown) => log?.(`call record update failed: ${String(err)}`))
        : undefined,
      appendQuietly(
        deps.store,
        [
          {
            callId: input.callId,
            at: sentAt,
            kind: 'graphRequest',
            durationMs,
            data: { request: 'answer', ok: code === undefined, ...(code === undefined ? {} : { code }) },
          },
        ],
        log,
      ),
    ]);
    return code === undefined ? { ok: true, sentAt, durationMs } : { ok: false, code, sentAt, durationMs };
  };
}

registerActivity('answerCall', (s) => createAnswerCallActivity(s));
