/**
 * Loads a Functions app the way the worker does at startup: provide `@azure/functions-core`, load
 * the app's entry point (which registers every function as a side effect), run the `appStart`
 * hooks, then refuse further registrations. One app per process: `@azure/functions` keeps its
 * core-module lookup and Node keeps the imported modules for the life of the process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, ensureError } from '../../shared/errors/app-error.js';
import { installFunctionsCore } from './core-shim.js';
import type { FunctionRegistry } from './registry.js';

/** Options for {@link loadApp}. */
export interface LoadAppOptions {
  /** `functionAppDirectory` for `appStart` hooks (default: the entry's folder). */
  functionAppDirectory?: string;
}

async function importEntry(file: string): Promise<void> {
  const url = pathToFileURL(file).href;
  try {
    await import(url);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(file)) {
      // Plain Node without a TypeScript loader: load the source through tsx.
      const { tsImport } = (await import('tsx/esm/api')) as {
        tsImport: (specifier: string, parent: string) => Promise<unknown>;
      };
      await tsImport(url, import.meta.url);
      return;
    }
    throw err;
  }
}

/**
 * Installs the core shim, imports `entry` (a `.ts` or `.js` module path, absolute or relative to
 * the working directory), runs the app's `appStart` hooks and locks the registry.
 * Calling it again with the same entry returns the same registry.
 *
 * Errors (`AppError`): `HOST.ENTRY_NOT_FOUND`; `HOST.APP_ALREADY_LOADED` (another entry was loaded
 * in this process); `HOST.ENTRY_FAILED` (the entry threw while loading, cause attached);
 * `HOST.NO_FUNCTIONS` (nothing was registered: usually `@azure/functions` was used before the
 * shim was installed and fell back to test mode); `HOST.HTTP_STREAM_UNSUPPORTED`.
 */
export async function loadApp(entry: string, options: LoadAppOptions = {}): Promise<FunctionRegistry> {
  const file = path.resolve(entry);
  if (!fs.existsSync(file)) {
    throw new AppError('HOST.ENTRY_NOT_FOUND', `App entry point not found: ${file}`, {
      metadata: { entry: file },
    });
  }
  const registry = installFunctionsCore();
  if (registry.appEntry !== undefined) {
    if (registry.appEntry === file) return registry;
    throw new AppError(
      'HOST.APP_ALREADY_LOADED',
      `This process already loaded the app ${registry.appEntry}; cannot also load ${file} (one app per process).`,
      {
        metadata: { loaded: registry.appEntry, requested: file },
      },
    );
  }
  registry.appEntry = file;
  try {
    await importEntry(file);
  } catch (err) {
    const e = ensureError(err);
    throw new AppError('HOST.ENTRY_FAILED', `Loading the app entry point ${file} failed: ${e.message}`, {
      cause: e,
      metadata: { entry: file },
    });
  }
  if (registry.functions().length === 0) {
    throw new AppError(
      'HOST.NO_FUNCTIONS',
      `The app entry point ${file} registered no functions. If "@azure/functions" printed "Switching to test mode", it was loaded before the local host installed @azure/functions-core.`,
      { metadata: { entry: file } },
    );
  }
  // The worker asks the programming model for its capabilities once the app is loaded; this also
  // locks `app.setup()`. HTTP streaming needs the worker's HTTP proxy, which this host lacks.
  const model = registry.getProgrammingModel() as
    { getCapabilities?: (c: Record<string, string>) => Promise<Record<string, string>> } | undefined;
  const capabilities = model?.getCapabilities ? await model.getCapabilities({}) : {};
  if (capabilities.HttpUri) {
    throw new AppError(
      'HOST.HTTP_STREAM_UNSUPPORTED',
      `The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support.`,
      {
        metadata: { entry: file },
      },
    );
  }
  await registry.runAppStartHooks(options.functionAppDirectory ?? path.dirname(file));
  registry.lock();
  return registry;
}
