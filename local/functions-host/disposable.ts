/**
 * `Disposable` as types-core declares it (and as VS Code popularised it): wraps a function that
 * releases something; `dispose()` runs it once. `Disposable.from(...)` combines several.
 */
export class Disposable {
  #callOnDispose: (() => unknown) | undefined;

  /** Combines disposable-likes into one; asynchronous `dispose` functions are not awaited. */
  static from(...disposableLikes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => {
      for (const d of disposableLikes) d.dispose();
    });
  }

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  /** Releases the resource; later calls do nothing. */
  dispose(): unknown {
    const fn = this.#callOnDispose;
    this.#callOnDispose = undefined;
    return fn?.();
  }
}
