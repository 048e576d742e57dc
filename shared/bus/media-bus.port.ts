/**
 * The media command/event channel (../../DESIGN.md: the media host is reached through Service
 * Bus). Functions send commands to the media host on {@link MEDIA_COMMANDS_QUEUE}; the media host
 * reports events on {@link MEDIA_EVENTS_QUEUE}, which a Service Bus queue trigger consumes. Both
 * directions carry an envelope naming the call (the Graph call id) so that a command or event is
 * routed to the right orchestration instance.
 */
import type { QueuePort, ReceivedQueueMessage } from './queue.port.js';

/** Queue the media host listens on. */
export const MEDIA_COMMANDS_QUEUE = 'media-commands';
/** Queue the media host writes events to. */
export const MEDIA_EVENTS_QUEUE = 'media-events';

/** A command to the media host (e.g. `type: 'joinCall'`), for one call. */
export interface MediaCommand<P = unknown> {
  /** Command name, e.g. `joinCall`, `startRecording`, `leaveCall`. */
  type: string;
  /** Graph call id the command concerns. */
  callId: string;
  /** Unique per command; events that answer it carry it as `correlationId`. Default: a random UUID. */
  commandId?: string;
  payload?: P;
}

/** An event from the media host (e.g. `type: 'toneReceived'`), for one call. */
export interface MediaEvent<P = unknown> {
  type: string;
  callId: string;
  /** The `commandId` this event answers, if any. */
  correlationId?: string;
  /** When the media host observed it (ISO 8601). */
  occurredAt: string;
  payload?: P;
}

/** The Functions side: sends commands. */
export interface MediaCommandSender {
  sendCommand(command: MediaCommand): Promise<string>;
}

/** The media host side: receives commands, publishes events. */
export interface MediaHostChannel {
  /** Receives commands until `signal` aborts; a handler that throws abandons the command (redelivery). */
  receiveCommands(
    handler: (command: MediaCommand, message: ReceivedQueueMessage) => Promise<void>,
    signal: AbortSignal,
  ): Promise<void>;
  publishEvent(event: MediaEvent): Promise<void>;
}

/** Both directions over one {@link QueuePort}. */
export type MediaBus = MediaCommandSender & MediaHostChannel;

export type { QueuePort };
