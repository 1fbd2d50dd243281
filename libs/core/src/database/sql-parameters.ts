/**
 * The parameters of one statement composed from parts written by several repositories: each
 * part adds its values and gets their placeholders, so no part counts `$n` by hand.
 */
export class SqlParameters {
  readonly values: unknown[] = [];

  /** Adds a value; returns its placeholder, with a cast when the type cannot be inferred (e.g. in VALUES). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast ? `$${this.values.length}::${cast}` : `$${this.values.length}`;
  }
}

/** The error a statement raised on purpose (`RAISE EXCEPTION ... USING ERRCODE = 'P0001'`), by its message; undefined for any other error. */
export function raisedException(error: unknown, message: string): { detail: string } | undefined {
  const driverError = (error as { driverError?: { code?: string; message?: string; detail?: string } } | undefined)?.driverError;
  if (driverError?.code !== 'P0001' || driverError.message !== message) return undefined;
  return { detail: driverError.detail ?? '' };
}
