/**
 * A category's score, 0 to 1, by category name. Names are OpenAI's (`sexual`, `violence`,
 * `self-harm`, `violence/graphic`...); other providers map theirs onto them where they mean the
 * same, and keep the rest under their own names in lower case.
 */
export type ModerationScores = Record<string, number>;

/** The moderation providers a deployment may configure (MODERATION_PROVIDER). */
export type ModerationProviderName = 'none' | 'openai' | 'rekognition';

/** Judges images (and, for some providers, text): answers scores, never a verdict, which the persona's policy makes. */
export interface ModerationProvider {
  readonly name: ModerationProviderName;
  /** Scores an image of `mediaType` (one of the cleaned image types). Throws ModerationUnavailable when the provider fails. */
  moderateImage(bytes: Buffer, mediaType: string): Promise<ModerationScores>;
  /** Scores a text. Throws ModerationUnavailable when the provider fails, ModerationNotSupported when it cannot read text. */
  moderateText(text: string): Promise<ModerationScores>;
}

/**
 * The provider did not answer in time, or failed (down, 5xx, refused the request): there is no
 * verdict, and nothing may be shown without one. Retrying may succeed.
 */
export class ModerationUnavailable extends Error {
  constructor(provider: ModerationProviderName, reason: string, options?: ErrorOptions) {
    super(`Moderation by ${provider} is unavailable: ${reason}`, options);
    this.name = 'ModerationUnavailable';
  }
}

/** A provider asked for what it does not do (Rekognition reads no text): a configuration mistake, not an outage. */
export class ModerationNotSupported extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModerationNotSupported';
  }
}

/** MODERATION_PROVIDER=none: nothing is scored, so nothing is flagged. */
export class NoModeration implements ModerationProvider {
  readonly name = 'none' as const;

  async moderateImage(): Promise<ModerationScores> {
    return {};
  }

  async moderateText(): Promise<ModerationScores> {
    return {};
  }
}

/** A failure's own words for the log (an SDK error's message, or what was thrown). */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}
