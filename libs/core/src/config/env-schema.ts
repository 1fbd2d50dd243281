import { existsSync, readFileSync } from 'node:fs';

/**
 * Small typed readers for environment variables. Each reader either returns a value or
 * records a problem, so that boot can report every bad variable at once instead of the
 * first one only.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** Throws one error naming every variable that failed to parse. */
  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigValidationError(this.problems);
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      return this.fail(name, `must be an integer between ${min} and ${max}, got "${raw}"`, fallback);
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw)) return true;
    if (['false', '0', 'no'].includes(raw)) return false;
    return this.fail(name, `must be true or false, got "${raw}"`, fallback);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      return this.fail(name, `must be one of ${allowed.join(', ')}, got "${raw}"`, fallback);
    }
    return raw as T;
  }

  /** A URL whose scheme is one of `protocols`; the value itself is never echoed (it may hold a password). */
  optionalUrl(name: string, protocols: readonly string[]): string | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    let protocol: string;
    try {
      protocol = new URL(raw).protocol.replace(/:$/, '');
    } catch {
      return this.fail(name, 'must be a valid URL', undefined);
    }
    if (!protocols.includes(protocol)) {
      return this.fail(name, `must use one of the schemes ${protocols.join(', ')}`, undefined);
    }
    return raw;
  }

  /** A comma-separated list; empty items are dropped. */
  list(name: string, fallback: readonly string[]): string[] {
    const raw = this.raw(name);
    if (raw === undefined) return [...fallback];
    return raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  /** A byte size such as `1mb`, `512kb` or `2048`. */
  bytes(name: string, fallback: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const match = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw);
    if (!match) return this.fail(name, `must be a size such as 512kb or 1mb, got "${raw}"`, fallback);
    const unit = (match[2] ?? 'b').toLowerCase();
    const factor = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[unit] ?? 1;
    return Number(match[1]) * factor;
  }

  /**
   * JSON from the variable `name`, or from the file that `fileName` names (which wins). Returns
   * the parsed value and which variable it came from, or undefined when neither is set or the
   * JSON does not parse (recorded as a problem).
   */
  json(name: string, fileName: string): { value: unknown; source: string } | undefined {
    const file = this.raw(fileName);
    let text = this.raw(name);
    let source = name;
    if (file) {
      if (!existsSync(file)) return this.fail(fileName, `names a file that does not exist: ${file}`, undefined);
      text = readFileSync(file, 'utf8');
      source = fileName;
    }
    if (text === undefined) return undefined;
    try {
      return { value: JSON.parse(text) as unknown, source };
    } catch {
      return this.fail(source, 'must be valid JSON', undefined);
    }
  }

  /** Records a problem found by a rule that spans variables. */
  reject(name: string, message: string): void {
    this.problems.push(`${name} ${message}`);
  }

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  private fail<T>(name: string, message: string, fallback: T): T {
    this.reject(name, message);
    return fallback;
  }
}
