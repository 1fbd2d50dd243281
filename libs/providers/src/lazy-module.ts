/**
 * A module imported on first need rather than with the file that uses it, so that a process
 * that never needs it (e.g. a provider SDK of a kind not configured) never holds its code. A
 * failed import is tried again at the next use.
 */
export class LazyModule<T> {
  private pending: Promise<T> | undefined;
  /** The module once imported (e.g. for telling its error classes apart); undefined before. */
  loaded: T | undefined;

  constructor(private readonly importer: () => Promise<T>) {}

  load(): Promise<T> {
    this.pending ??= this.importer().then(
      (module) => (this.loaded = module),
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    return this.pending;
  }
}
