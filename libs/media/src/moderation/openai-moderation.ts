import type OpenAI from 'openai';
import type { ModerationConfig } from '#chorus/core';
import { imageForProvider, type ImageInputLimits } from './moderation-image.js';
import { ModerationUnavailable, describeFailure, type ModerationProvider, type ModerationScores } from './moderation-provider.js';

/** What omni-moderation reads (a GIF only as a still, which imageForProvider makes of any animation). */
const OPENAI_IMAGES: ImageInputLimits = { types: new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif']), maxBytes: 20 * 1024 * 1024 };

/**
 * OpenAI's moderation endpoint (`omni-moderation-latest` unless configured) through the openai
 * SDK, for images (sent inline as a data URL) and text. Its category scores are kept as they are.
 */
export class OpenAIModeration implements ModerationProvider {
  readonly name = 'openai' as const;
  private client?: Promise<OpenAI>;

  constructor(private readonly config: Pick<ModerationConfig, 'openai' | 'timeoutMs'>) {}

  async moderateImage(bytes: Buffer, mediaType: string): Promise<ModerationScores> {
    const image = await imageForProvider({ bytes, type: mediaType }, OPENAI_IMAGES);
    return this.moderate([{ type: 'image_url', image_url: { url: `data:${image.type};base64,${image.bytes.toString('base64')}` } }]);
  }

  async moderateText(text: string): Promise<ModerationScores> {
    return this.moderate([{ type: 'text', text }]);
  }

  private async moderate(input: OpenAI.ModerationMultiModalInput[]): Promise<ModerationScores> {
    try {
      const client = await this.connect();
      const response = await client.moderations.create({ model: this.config.openai.model, input }, { signal: AbortSignal.timeout(this.config.timeoutMs) });
      const result = response.results[0];
      if (!result) throw new Error('the response holds no result');
      return { ...result.category_scores };
    } catch (error) {
      throw new ModerationUnavailable(this.name, describeFailure(error), { cause: error });
    }
  }

  /** The SDK is imported when the first file is moderated: a deployment that does not moderate never loads it. */
  private connect(): Promise<OpenAI> {
    this.client ??= import('openai').then(
      ({ default: Client }) =>
        new Client({
          // The config reader requires a key unless a base URL is set (a local server that needs none); the SDK insists on one.
          apiKey: this.config.openai.apiKey ?? 'unused',
          baseURL: this.config.openai.baseUrl ?? 'https://api.openai.com/v1',
          // The job retries a file whose moderation failed, after a backoff: the SDK's own retries would only stretch each attempt.
          maxRetries: 0,
        }),
      (error: unknown) => {
        this.client = undefined;
        throw error;
      },
    );
    return this.client;
  }
}
