/**
 * {@link MediaBus} over any {@link QueuePort} (Service Bus in Azure, the embedded queue locally):
 * commands and events travel as JSON bodies, with `subject` = the command/event type,
 * `sessionId`-free, `correlationId` = the command id, and an application property `callId`.
 */
import { randomUUID } from 'node:crypto';
import { AppError, ensureError } from '../errors/app-error.js';
import {
  MEDIA_COMMANDS_QUEUE,
  MEDIA_EVENTS_QUEUE,
  type MediaBus,
  type MediaCommand,
  type MediaEvent,
} from './media-bus.port.js';
import type { QueuePort, ReceivedQueueMessage } from './queue.port.js';

/** Reads a {@link MediaCommand} out of a received message. Errors: `BUS.INVALID_MESSAGE`. */
export function mediaCommandFromMessage(message: ReceivedQueueMessage): MediaCommand {
  const body = message.body as Partial<MediaCommand> | null;
  if (!body || typeof body !== 'object' || typeof body.type !== 'string' || typeof body.callId !== 'string') {
    throw new AppError(
      'BUS.INVALID_MESSAGE',
      `Message ${message.messageId} is not a media command (needs string "type" and "callId").`,
      {
        metadata: { messageId: message.messageId },
      },
    );
  }
  return body as MediaCommand;
}

/** Creates the media channel over `queue`. Queue names default to the shared constants. */
export function createQueueMediaBus(
  queue: QueuePort,
  names: { commands?: string; events?: string } = {},
): MediaBus {
  const commandsQueue = names.commands ?? MEDIA_COMMANDS_QUEUE;
  const eventsQueue = names.events ?? MEDIA_EVENTS_QUEUE;
  return {
    async sendCommand(command: MediaCommand): Promise<string> {
      const commandId = command.commandId ?? randomUUID();
      await queue.send(commandsQueue, {
        body: { ...command, commandId },
        messageId: commandId,
        contentType: 'application/json',
        subject: command.type,
        applicationProperties: { callId: command.callId },
      });
      return commandId;
    },
    async publishEvent(event: MediaEvent): Promise<void> {
      await queue.send(eventsQueue, {
        body: event,
        contentType: 'application/json',
        subject: event.type,
        ...(event.correlationId ? { correlationId: event.correlationId } : {}),
        applicationProperties: { callId: event.callId },
      });
    },
    async receiveCommands(handler, signal): Promise<void> {
      while (!signal.aborted) {
        const messages = await queue.receive(commandsQueue, { maxMessages: 1, maxWaitMs: 1000, signal });
        for (const message of messages) {
          let command: MediaCommand;
          try {
            command = mediaCommandFromMessage(message);
          } catch (err) {
            await queue.deadLetter(commandsQueue, message, {
              reason: 'InvalidMediaCommand',
              description: ensureError(err).message,
            });
            continue;
          }
          try {
            await handler(command, message);
            await queue.complete(commandsQueue, message);
          } catch {
            await queue.abandon(commandsQueue, message);
          }
        }
      }
    },
  };
}
