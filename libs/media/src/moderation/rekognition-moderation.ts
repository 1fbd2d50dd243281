import type { DetectModerationLabelsCommand, ModerationLabel, RekognitionClient } from '@aws-sdk/client-rekognition';
import type { ModerationConfig } from '#chorus/core';
import { imageForProvider, type ImageInputLimits } from './moderation-image.js';
import { ModerationNotSupported, ModerationUnavailable, describeFailure, type ModerationProvider, type ModerationScores } from './moderation-provider.js';

/** DetectModerationLabels reads JPEG and PNG bytes up to 5 MB. */
const REKOGNITION_IMAGES: ImageInputLimits = { types: new Set(['image/jpeg', 'image/png']), maxBytes: 5 * 1024 * 1024 };

/**
 * Rekognition's top-level labels (taxonomy v6 and v7) that mean one of OpenAI's categories, or a
 * name of ours for several of theirs; any other label is kept under its own name in lower case
 * (`Alcohol` → `alcohol`, `Rude Gestures` → `rude gestures`).
 */
export const REKOGNITION_CATEGORIES: Readonly<Record<string, string>> = {
  'Explicit Nudity': 'sexual',
  Explicit: 'sexual',
  Suggestive: 'suggestive',
  'Non-Explicit Nudity of Intimate parts and Kissing': 'suggestive',
  'Swimwear or Underwear': 'suggestive',
  Violence: 'violence',
  'Visually Disturbing': 'violence/graphic',
  'Hate Symbols': 'hate',
};

/**
 * The least confidence (in %) asked for: Rekognition leaves out labels under 50 by default, which
 * would hide a score from a persona whose threshold is lower.
 */
const MIN_CONFIDENCE = 1;

/** A client, and the one command sent (a class of the SDK, which is imported lazily). */
interface RekognitionSdk {
  readonly client: RekognitionClient;
  readonly detect: typeof DetectModerationLabelsCommand;
}

/** AWS Rekognition's DetectModerationLabels through @aws-sdk/client-rekognition; images only. */
export class RekognitionModeration implements ModerationProvider {
  readonly name = 'rekognition' as const;
  private sdk?: Promise<RekognitionSdk>;

  constructor(private readonly config: Pick<ModerationConfig, 'rekognition' | 'timeoutMs'>) {}

  async moderateImage(bytes: Buffer, mediaType: string): Promise<ModerationScores> {
    const image = await imageForProvider({ bytes, type: mediaType }, REKOGNITION_IMAGES);
    try {
      const { client, detect } = await this.connect();
      const response = await client.send(new detect({ Image: { Bytes: image.bytes }, MinConfidence: MIN_CONFIDENCE }), {
        abortSignal: AbortSignal.timeout(this.config.timeoutMs),
      });
      return rekognitionScores(response.ModerationLabels ?? []);
    } catch (error) {
      throw new ModerationUnavailable(this.name, describeFailure(error), { cause: error });
    }
  }

  async moderateText(_text: string): Promise<ModerationScores> {
    throw new ModerationNotSupported('Rekognition moderates images only: text moderation (MODERATION_TEXT) requires MODERATION_PROVIDER=openai.');
  }

  /** The SDK is imported when the first file is moderated: a deployment that does not moderate never loads it. */
  private connect(): Promise<RekognitionSdk> {
    const { region, endpoint, accessKeyId, secretAccessKey } = this.config.rekognition;
    this.sdk ??= import('@aws-sdk/client-rekognition').then(
      ({ RekognitionClient: Client, DetectModerationLabelsCommand }) => ({
        client: new Client({
          region,
          ...(endpoint ? { endpoint } : {}),
          // Without a key pair, the SDK's default chain (environment, profile, instance role) provides credentials.
          ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
          // The job retries a file whose moderation failed, after a backoff: the SDK's own retries would only stretch each attempt.
          maxAttempts: 1,
        }),
        detect: DetectModerationLabelsCommand,
      }),
      (error: unknown) => {
        this.sdk = undefined;
        throw error;
      },
    );
    return this.sdk;
  }
}

/**
 * Scores by category from Rekognition's labels: each label counts for its top-level ancestor
 * (`Graphic Male Nudity` for `Explicit Nudity`), named as REKOGNITION_CATEGORIES says; a
 * category scores its most confident label, confidence 0–100 becoming 0–1.
 */
export function rekognitionScores(labels: readonly ModerationLabel[]): ModerationScores {
  const parents = new Map(labels.flatMap((label) => (label.Name ? [[label.Name, label.ParentName ?? ''] as const] : [])));
  const topOf = (name: string): string => {
    const seen = new Set<string>();
    let current = name;
    // A parent missing from the answer is as high as can be told; `seen` guards against a cycle.
    while (parents.get(current) && !seen.has(current)) {
      seen.add(current);
      current = parents.get(current)!;
    }
    return current;
  };
  const scores: ModerationScores = {};
  for (const label of labels) {
    if (!label.Name) continue;
    const top = topOf(label.Name);
    const category = REKOGNITION_CATEGORIES[top] ?? top.toLowerCase();
    scores[category] = Math.max(scores[category] ?? 0, Math.min(1, Math.max(0, (label.Confidence ?? 0) / 100)));
  }
  return scores;
}
