/**
 * Switchboard's settings, read once from the environment (Azure app settings in production;
 * the local host copies `local.settings.json` and its own defaults into the environment, as Core
 * Tools does), validated, and frozen. The only module in the app that reads `process.env`
 * (../shared/STYLE.md practice 11). Never read from orchestrator code: orchestrators get what they
 * need from activities or their input.
 *
 * Durations are written like flow durations (`500ms`, `30s`, `45m`) and exposed in ms.
 */
import { AppError } from '../errors/app-error.js';

/** The validated settings. Durations in milliseconds. */
export interface SwitchboardConfig {
  /** The Teams calling bot: its Entra app registration and where Graph posts notifications. */
  bot: {
    /** `SWITCHBOARD_BOT_APP_ID`: the bot's application (client) id; the audience of Graph's notification tokens. */
    appId: string;
    /** `SWITCHBOARD_TENANT_ID`: the tenant the bot's app-only tokens are issued in. */
    tenantId: string;
    /** `SWITCHBOARD_BOT_CLIENT_SECRET` (or a certificate in production; see graph/token-provider). */
    clientSecret: string | undefined;
    /** `SWITCHBOARD_CALLBACK_URL`: public https URL of `POST /api/calling` (Graph's callbackUri). */
    callbackUrl: string;
  };
  graph: {
    /** `GRAPH_BASE_URL`, default `https://graph.microsoft.com/v1.0`. */
    baseUrl: string;
    /** `GRAPH_AUTHORITY`, default `https://login.microsoftonline.com`. */
    authority: string;
    /** `GRAPH_AUTHORITY_METADATA`: OpenID configuration JSON (skips discovery; the local host points it at the simulator). */
    authorityMetadata: string | undefined;
    /** `GRAPH_REQUEST_TIMEOUT`, per attempt, default 10 s. */
    requestTimeoutMs: number;
  };
  /** Validation of the bearer token on Graph's notifications (graph/inbound-auth). */
  inbound: {
    /** `INBOUND_OPENID_CONFIGURATION_URL`, default `https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration`. */
    openIdConfigurationUrl: string;
    /** `INBOUND_ISSUERS` (comma-separated), default `https://api.botframework.com,https://graph.microsoft.com`. */
    issuers: string[];
    /** `INBOUND_ALLOWED_TENANTS` (comma-separated); empty = the bot's own tenant only. */
    allowedTenants: string[];
  };
  store: {
    /** `COSMOS_ENDPOINT`, `COSMOS_KEY`, `COSMOS_DATABASE` (default `switchboard`). Absent when a host supplies the store. */
    cosmos: { endpoint: string; key: string; databaseId: string } | undefined;
    /** `TIMELINE_TTL_DAYS`, default 30. */
    timelineTtlDays: number;
  };
  /** Voicemail recordings in Blob Storage. */
  recordings: {
    /** `RECORDINGS_STORAGE_CONNECTION` (Azure Storage connection string; Azurite locally). */
    connectionString: string | undefined;
    /** `RECORDINGS_CONTAINER`, default `voicemail`. */
    container: string;
  };
  calls: {
    /** `CALL_MAX_DURATION`, default 60m: the orchestration hangs up after this. */
    maxDurationMs: number;
    /** `CALL_KEEPALIVE_INTERVAL`, default 30m (Graph drops calls with no keepAlive for 45 min). */
    keepAliveIntervalMs: number;
    /** `CALL_MEDIA_TIMEOUT`: how long to wait for audio media to become active after answering, default 10 s. */
    mediaTimeoutMs: number;
    /** `HTTP_ALLOWED_HOSTS` (comma-separated): hosts `httpRequest` steps may call, on top of each flow's own list. */
    httpAllowedHosts: string[];
    /** `CALL_HISTORY_EVENTS`, default 100: events one orchestration execution handles before `continueAsNew` (bounds Durable history). */
    historyEventsBeforeContinue: number;
    /** `HTTP_MAX_RESPONSE_BYTES`, default 256 KiB: larger `httpRequest` answers are cut off (the step's error branch runs). */
    httpMaxResponseBytes: number;
  };
  /** Where prompt audio lives. */
  prompts: {
    /**
     * `PROMPT_BASE_URL`: base that relative prompt `audio` paths of flows (`prompts/welcome.wav`)
     * are resolved against, e.g. `https://media.contoso.com/ivr/`. Unset: relative paths are sent
     * as written (the Graph simulator resolves them against its prompt folder; Graph itself needs
     * absolute https URLs).
     */
    baseUrl: string | undefined;
  };
  /** `MAX_NOTIFICATION_BYTES`, default 1 MiB: larger webhook bodies get 400. */
  maxNotificationBytes: number;
}

const DURATION = /^([0-9]{1,9})(ms|s|m|h)$/;

/**
 * Reads and validates the settings from `env` (default `process.env`).
 * Throws `AppError('CONFIG.INVALID')` listing every missing or malformed setting by name (values
 * are never echoed: they may be secrets).
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SwitchboardConfig {
  const problems: string[] = [];
  const str = (name: string, dflt?: string): string => {
    const v = env[name]?.trim();
    if (v) return v;
    if (dflt !== undefined) return dflt;
    problems.push(`${name} is required`);
    return '';
  };
  const opt = (name: string): string | undefined => env[name]?.trim() || undefined;
  const list = (name: string, dflt: string[] = []): string[] => {
    const v = opt(name);
    return v === undefined
      ? dflt
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  };
  const url = (name: string, dflt?: string): string => {
    const v = str(name, dflt);
    if (v && !/^https?:\/\/[^\s]+$/.test(v)) problems.push(`${name} must be an http(s) URL`);
    return v;
  };
  const duration = (name: string, dflt: string): number => {
    const v = opt(name) ?? dflt;
    const m = DURATION.exec(v);
    if (!m) {
      problems.push(`${name} must be a duration like 500ms, 30s, 45m or 2h`);
      return 0;
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    return Number(m[1]) * unit;
  };
  const int = (name: string, dflt: number, min: number): number => {
    const v = opt(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) problems.push(`${name} must be an integer >= ${min}`);
    return n;
  };

  const cosmosEndpoint = opt('COSMOS_ENDPOINT');
  const config: SwitchboardConfig = {
    bot: {
      appId: str('SWITCHBOARD_BOT_APP_ID'),
      tenantId: str('SWITCHBOARD_TENANT_ID'),
      clientSecret: opt('SWITCHBOARD_BOT_CLIENT_SECRET'),
      callbackUrl: url('SWITCHBOARD_CALLBACK_URL'),
    },
    graph: {
      baseUrl: url('GRAPH_BASE_URL', 'https://graph.microsoft.com/v1.0'),
      authority: url('GRAPH_AUTHORITY', 'https://login.microsoftonline.com'),
      authorityMetadata: opt('GRAPH_AUTHORITY_METADATA'),
      requestTimeoutMs: duration('GRAPH_REQUEST_TIMEOUT', '10s'),
    },
    inbound: {
      openIdConfigurationUrl: url(
        'INBOUND_OPENID_CONFIGURATION_URL',
        'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
      ),
      issuers: list('INBOUND_ISSUERS', ['https://api.botframework.com', 'https://graph.microsoft.com']),
      allowedTenants: list('INBOUND_ALLOWED_TENANTS'),
    },
    store: {
      cosmos:
        cosmosEndpoint === undefined
          ? undefined
          : {
              endpoint: cosmosEndpoint,
              key: str('COSMOS_KEY'),
              databaseId: str('COSMOS_DATABASE', 'switchboard'),
            },
      timelineTtlDays: int('TIMELINE_TTL_DAYS', 30, 1),
    },
    recordings: {
      connectionString: opt('RECORDINGS_STORAGE_CONNECTION'),
      container: str('RECORDINGS_CONTAINER', 'voicemail'),
    },
    calls: {
      maxDurationMs: duration('CALL_MAX_DURATION', '60m'),
      keepAliveIntervalMs: duration('CALL_KEEPALIVE_INTERVAL', '30m'),
      mediaTimeoutMs: duration('CALL_MEDIA_TIMEOUT', '10s'),
      httpAllowedHosts: list('HTTP_ALLOWED_HOSTS'),
      historyEventsBeforeContinue: int('CALL_HISTORY_EVENTS', 100, 10),
      httpMaxResponseBytes: int('HTTP_MAX_RESPONSE_BYTES', 256 * 1024, 1024),
    },
    prompts: {
      baseUrl: opt('PROMPT_BASE_URL') === undefined ? undefined : url('PROMPT_BASE_URL'),
    },
    maxNotificationBytes: int('MAX_NOTIFICATION_BYTES', 1024 * 1024, 1024),
  };
  if (config.graph.authorityMetadata !== undefined) {
    try {
      JSON.parse(config.graph.authorityMetadata);
    } catch {
      problems.push('GRAPH_AUTHORITY_METADATA must be JSON (an OpenID configuration)');
    }
  }
  if (problems.length > 0) {
    throw new AppError('CONFIG.INVALID', `invalid settings: ${problems.join('; ')}`, {
      metadata: { problems },
    });
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
