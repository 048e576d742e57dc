/**
 * Settings for the local host, read the way Azure Functions Core Tools reads them:
 * `local.settings.json` (`Values`, `Host.LocalHttpPort`, `ConnectionStrings`) under the
 * environment — a variable set in the environment wins over the same key in the file
 * (https://learn.microsoft.com/azure/azure-functions/functions-develop-local#local-settings-file).
 * The merged `Values` are exposed to the app through `process.env`, as Core Tools does.
 *
 * Local-host settings (all optional): `PORT` (listening port, default 7071),
 * `SWITCHBOARD_DATA_DIR` (data folder, default `<project>/.data`), `FUNCTIONS_KEYS` (comma-separated
 * function keys), `FUNCTIONS_MASTER_KEY` (the admin/master key),
 * `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (bytes, default 100 MiB as in Azure),
 * `SWITCHBOARD_HTTP_REQUEST_TIMEOUT_MS` (front-end timeout, default 230 000 ms as Azure's load
 * balancer), `SWITCHBOARD_SERVICEBUS_MAX_DELIVERY_COUNT` (default 10, as Service Bus queues).
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../shared/errors/app-error.js';

/** Default listening port of the Functions host (Core Tools' default). */
export const DEFAULT_PORT = 7071;

/** Settings after merging `local.settings.json`, the environment and explicit overrides. */
export interface LocalSettings {
  /** App settings (`Values`), environment and overrides applied: what the app sees in `process.env`. */
  values: Record<string, string>;
  /** `ConnectionStrings` from the file (name → connection string). */
  connectionStrings: Record<string, string>;
  /** Listening port: override > `PORT` > `Host.LocalHttpPort` > 7071. 0 picks a free port. */
  port: number;
  /** Absolute data folder: override > `SWITCHBOARD_DATA_DIR` > `<projectDir>/.data`. */
  dataDir: string;
  /** The `local.settings.json` that was read, if one exists. */
  file?: string | undefined;
}

/** Where to read settings from. */
export interface LoadSettingsOptions {
  /** Folder holding `local.settings.json` (default: the working directory). */
  projectDir?: string;
  /** Explicit `local.settings.json` path (default: `<projectDir>/local.settings.json`). */
  file?: string;
  /** Environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over both the environment and the file (used by tests and the CLI). */
  overrides?: Record<string, string>;
  /** Explicit port (wins over everything). */
  port?: number;
  /** Explicit data folder (wins over everything). */
  dataDir?: string;
}

interface LocalSettingsFile {
  IsEncrypted?: unknown;
  Values?: unknown;
  Host?: unknown;
  ConnectionStrings?: unknown;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new AppError('SETTINGS.INVALID', `${where} must be an object of string values.`, {
      metadata: { where },
    });
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else if (v !== null && v !== undefined) {
      throw new AppError('SETTINGS.INVALID', `${where}.${k} must be a string.`, {
        metadata: { where: `${where}.${k}` },
      });
    }
  }
  return out;
}

function parsePort(raw: string | number | undefined, where: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new AppError(
      'SETTINGS.INVALID_PORT',
      `${where} must be an integer port between 0 and 65535 (got ${JSON.stringify(raw)}).`,
      { metadata: { where } },
    );
  }
  return n;
}

/** Reads and validates a `local.settings.json`. Errors: `SETTINGS.INVALID_JSON`, `SETTINGS.INVALID`, `SETTINGS.ENCRYPTED`. */
export function readLocalSettingsFile(file: string): {
  values: Record<string, string>;
  connectionStrings: Record<string, string>;
  localHttpPort?: number | undefined;
} {
  let parsed: LocalSettingsFile;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as LocalSettingsFile;
  } catch (err) {
    throw new AppError('SETTINGS.INVALID_JSON', `${file} is not valid JSON: ${(err as Error).message}`, {
      metadata: { file },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('SETTINGS.INVALID', `${file} must hold a JSON object.`, { metadata: { file } });
  }
  if (parsed.IsEncrypted === true) {
    throw new AppError(
      'SETTINGS.ENCRYPTED',
      `${file} is encrypted (IsEncrypted: true); the local host reads plain settings only.`,
      { metadata: { file } },
    );
  }
  const host = parsed.Host as { LocalHttpPort?: unknown } | undefined;
  const rawPort = host?.LocalHttpPort;
  return {
    values: stringMap(parsed.Values, `${path.basename(file)} Values`),
    connectionStrings: stringMap(parsed.ConnectionStrings, `${path.basename(file)} ConnectionStrings`),
    localHttpPort:
      typeof rawPort === 'number' || typeof rawPort === 'string'
        ? parsePort(rawPort, `${path.basename(file)} Host.LocalHttpPort`)
        : undefined,
  };
}

/**
 * Loads the local host's settings. Precedence for every app setting: `overrides` > environment >
 * `local.settings.json` `Values`. A missing file is fine (no values). Errors: see
 * {@link readLocalSettingsFile}; `SETTINGS.INVALID_PORT` for a bad `PORT`.
 */
export function loadLocalSettings(options: LoadSettingsOptions = {}): LocalSettings {
  const projectDir = path.resolve(options.projectDir ?? process.cwd());
  const env = options.env ?? process.env;
  const file = options.file ? path.resolve(options.file) : path.join(projectDir, 'local.settings.json');
  const fromFile = fs.existsSync(file) ? readLocalSettingsFile(file) : undefined;

  const values: Record<string, string> = { ...(fromFile?.values ?? {}) };
  for (const key of Object.keys(values)) {
    const fromEnv = env[key];
    if (fromEnv !== undefined) values[key] = fromEnv;
  }
  Object.assign(values, options.overrides ?? {});
  const setting = (key: string): string | undefined =>
    options.overrides?.[key] ?? env[key] ?? fromFile?.values[key];

  const port = options.port ?? parsePort(setting('PORT'), 'PORT') ?? fromFile?.localHttpPort ?? DEFAULT_PORT;
  const rawDataDir = options.dataDir ?? setting('SWITCHBOARD_DATA_DIR');
  const dataDir = rawDataDir ? path.resolve(projectDir, rawDataDir) : path.join(projectDir, '.data');
  return {
    values,
    connectionStrings: fromFile?.connectionStrings ?? {},
    port,
    dataDir,
    file: fromFile ? file : undefined,
  };
}

/**
 * Exposes the settings' `Values` to the app through `env` (default `process.env`), as Core Tools
 * does: every merged value is written (the environment already won during the merge).
 * Returns a function that restores the previous values.
 */
export function applySettingsToEnv(
  settings: Pick<LocalSettings, 'values'>,
  env: NodeJS.ProcessEnv = process.env,
): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(settings.values)) {
    previous.set(k, env[k]);
    env[k] = v;
  }
  return () => {
    for (const [k, v] of previous) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
  };
}

/** Reads a setting as it is after {@link applySettingsToEnv}: `values` first, then `env`. */
export function settingValue(
  settings: Pick<LocalSettings, 'values'>,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  return settings.values[key] ?? env[key];
}
