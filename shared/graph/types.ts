/**
 * Microsoft Graph cloud-communications resource types (v1.0) that Switchboard sends and receives.
 * Shapes follow the Graph v1.0 reference pages under
 * https://learn.microsoft.com/graph/api/resources/call?view=graph-rest-1.0 (call, participant,
 * commsOperation and its subtypes, identitySet, mediaConfig, prompt, resultInfo, toneInfo).
 * Only the properties Switchboard uses are named; every type keeps an index signature where Graph
 * may add properties, so unknown fields pass through untouched. Graph's `@odata.type`
 * discriminators are written as Graph writes them (`#microsoft.graph.mediaPrompt`).
 */

/** A string union that still accepts values Graph adds later (`unknownFutureValue` and beyond), keeping editor completion. */
export type OpenString<T extends string> = T | (string & Record<never, never>);

/** `identity`: one party (user, application, applicationInstance, phone, guest, encrypted…). */
export interface GraphIdentity {
  id?: string | null;
  displayName?: string | null;
  tenantId?: string | null;
  identityProvider?: string | null;
  [key: string]: unknown;
}

/** `identitySet`: at most one identity per kind; `phone.id` is an E.164 number (`+14255550123`). */
export interface IdentitySet {
  '@odata.type'?: string;
  user?: GraphIdentity;
  application?: GraphIdentity;
  applicationInstance?: GraphIdentity;
  phone?: GraphIdentity;
  guest?: GraphIdentity;
  encrypted?: GraphIdentity;
  device?: GraphIdentity;
  [key: string]: unknown;
}

/** `participantInfo` (a call's `source`, a participant's `info`). */
export interface ParticipantInfo {
  '@odata.type'?: string;
  identity: IdentitySet;
  endpointType?: OpenString<
    'default' | 'voicemail' | 'skypeForBusiness' | 'skypeForBusinessVoipPhone'
  > | null;
  region?: string | null;
  languageId?: string | null;
  countryCode?: string | null;
  participantId?: string | null;
  [key: string]: unknown;
}

/** `invitationParticipantInfo` (call `targets`, transfer/redirect/invite targets). */
export interface InvitationParticipantInfo {
  '@odata.type'?: OpenString<'#microsoft.graph.invitationParticipantInfo'>;
  identity: IdentitySet;
  endpointType?: string | null;
  /** Consultative transfer / invite: the id of the call to replace. */
  replacesCallId?: string | null;
  hidden?: boolean;
  participantId?: string | null;
  removeFromDefaultAudioRoutingGroup?: boolean;
  [key: string]: unknown;
}

/** Call modalities (`requestedModalities`, `acceptedModalities`). */
export type Modality = 'audio' | 'video' | 'videoBasedScreenSharing' | 'data' | 'unknownFutureValue';

/** `mediaInfo`: an audio file Graph fetches itself; WAV, 16 kHz mono 16-bit PCM. */
export interface MediaInfo {
  uri: string;
  /** A GUID naming the cached media; reuse it to let Graph serve the prompt from its cache. */
  resourceId?: string;
  [key: string]: unknown;
}

/** `mediaPrompt`: the only prompt type Graph v1.0 plays. */
export interface MediaPrompt {
  '@odata.type': '#microsoft.graph.mediaPrompt';
  mediaInfo: MediaInfo;
  [key: string]: unknown;
}

/** `serviceHostedMediaConfig`: Graph plays/records media (IVR). `preFetchMedia` warms Graph's cache. */
export interface ServiceHostedMediaConfig {
  '@odata.type': '#microsoft.graph.serviceHostedMediaConfig';
  preFetchMedia?: MediaInfo[];
  removeFromDefaultAudioGroup?: boolean;
  [key: string]: unknown;
}

/** `appHostedMediaConfig`: the media host handles raw frames; `blob` is the media session configuration. */
export interface AppHostedMediaConfig {
  '@odata.type': '#microsoft.graph.appHostedMediaConfig';
  blob?: string;
  removeFromDefaultAudioGroup?: boolean;
  [key: string]: unknown;
}

/** `mediaConfig` union used by answer and create call. */
export type MediaConfig = ServiceHostedMediaConfig | AppHostedMediaConfig;

/** `resultInfo`: `code` is an HTTP-like status, `subcode` Graph's finer reason (see the call-reason docs). */
export interface ResultInfo {
  code: number;
  subcode?: number;
  message?: string;
  [key: string]: unknown;
}

/** `toneInfo.tone` values (DTMF). */
export type Tone =
  | 'tone0'
  | 'tone1'
  | 'tone2'
  | 'tone3'
  | 'tone4'
  | 'tone5'
  | 'tone6'
  | 'tone7'
  | 'tone8'
  | 'tone9'
  | 'star'
  | 'pound'
  | 'a'
  | 'b'
  | 'c'
  | 'd'
  | 'flash';

/** `call.state` values. */
export type CallState =
  | 'incoming'
  | 'establishing'
  | 'established'
  | 'hold'
  | 'transferring'
  | 'transferAccepted'
  | 'redirecting'
  | 'terminating'
  | 'terminated'
  | 'unknownFutureValue';

/** `operationStatus`. Graph has also been seen to send `Running` (capitalised); parsers lower-case it. */
export type OperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';

/** `commsOperation` base: returned synchronously by an action and, later, in a notification. */
export interface CommsOperation {
  '@odata.type'?: string;
  id: string;
  status: OpenString<OperationStatus>;
  clientContext?: string | null;
  resultInfo?: ResultInfo | null;
  [key: string]: unknown;
}

/** `playPromptOperation`. `completionReason`: `unknown | completedSuccessfully | mediaOperationCanceled`. */
export interface PlayPromptOperation extends CommsOperation {
  completionReason?: string | null;
}

/** `recordOperation` (recordResponse). `recordingLocation` is fetched with `recordingAccessToken` as bearer. */
export interface RecordOperation extends CommsOperation {
  recordingLocation?: string | null;
  recordingAccessToken?: string | null;
  completionReason?: string | null;
}

/** `subscribeToToneOperation`. */
export type SubscribeToToneOperation = CommsOperation;
/** `cancelMediaProcessingOperation`. */
export type CancelMediaProcessingOperation = CommsOperation;
/** `muteParticipantOperation` (call mute, participant mute). */
export type MuteParticipantOperation = CommsOperation;
/** `unmuteParticipantOperation`. */
export type UnmuteParticipantOperation = CommsOperation;
/** `updateRecordingStatusOperation`. */
export type UpdateRecordingStatusOperation = CommsOperation;
/** `sendDtmfTonesOperation`. `completionReason`: `unknown | completedSuccessfully | mediaOperationCanceled`. */
export interface SendDtmfTonesOperation extends CommsOperation {
  completionReason?: string | null;
}
/** `inviteParticipantsOperation`. */
export interface InviteParticipantsOperation extends CommsOperation {
  participants?: InvitationParticipantInfo[];
}

/** `mediaStream` of a participant. */
export interface MediaStream {
  mediaType?: OpenString<'audio' | 'video' | 'vbss' | 'data'>;
  label?: string | null;
  sourceId?: string;
  direction?: OpenString<'inactive' | 'sendOnly' | 'receiveOnly' | 'sendReceive'>;
  serverMuted?: boolean;
  [key: string]: unknown;
}

/** `participant`. */
export interface Participant {
  id?: string | null;
  info?: ParticipantInfo;
  isMuted?: boolean;
  isInLobby?: boolean;
  mediaStreams?: MediaStream[];
  [key: string]: unknown;
}

/** `call` resource (GET /communications/calls/{id}, create call response). */
export interface Call {
  id: string;
  state?: OpenString<CallState>;
  direction?: OpenString<'incoming' | 'outgoing'>;
  callbackUri?: string;
  callChainId?: string | null;
  source?: ParticipantInfo | null;
  targets?: InvitationParticipantInfo[];
  requestedModalities?: Modality[];
  mediaConfig?: MediaConfig | null;
  mediaState?: { audio?: OpenString<'active' | 'inactive'> } | null;
  resultInfo?: ResultInfo | null;
  toneInfo?: { tone: OpenString<Tone>; sequenceId?: number } | null;
  tenantId?: string | null;
  myParticipantId?: string | null;
  [key: string]: unknown;
}

/** Body of `POST /communications/calls` (outbound call or meeting join). */
export interface CreateCallRequest {
  '@odata.type'?: '#microsoft.graph.call';
  callbackUri: string;
  requestedModalities: Modality[];
  mediaConfig: MediaConfig;
  source?: ParticipantInfo;
  targets?: InvitationParticipantInfo[];
  chatInfo?: {
    threadId: string;
    messageId?: string;
    replyChainMessageId?: string | null;
    [key: string]: unknown;
  };
  meetingInfo?: Record<string, unknown>;
  tenantId?: string;
  subject?: string;
  [key: string]: unknown;
}
