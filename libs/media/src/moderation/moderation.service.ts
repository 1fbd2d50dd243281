import { Injectable, Logger } from '@nestjs/common';
import { InjectConfig, ProblemException, type AppConfig, type ModerationConfig } from '#chorus/core';
import type { MediaEntity, MediaModeration } from '../media.entity.js';
import { MediaProblems } from '../media.errors.js';
import { MediaRepository } from '../media.repository.js';
import { createModerationProvider } from './create-moderation-provider.js';
import { flaggedCategories } from './moderation-policy.js';
import { ModerationUnavailable, type ModerationProvider } from './moderation-provider.js';
import { ModerationRejections } from './moderation-rejections.js';

/** What moderation makes of a cleaned image: ready, or rejected with the categories that flagged it; its verdict kept. */
export type ModerationOutcome = Pick<MediaEntity, 'status' | 'moderation'> & Partial<Pick<MediaEntity, 'rejectionCode' | 'rejectionDetail'>>;

/**
 * Judges uploads (and, with MODERATION_TEXT, users' messages) through the configured provider,
 * by the policy of the persona they are meant for: the provider scores, the policy decides.
 * Moderation fails closed: without a verdict nothing is shown (see ModerationUnavailable).
 */
@Injectable()
export class ModerationService {
  private readonly logger = new Logger(ModerationService.name);
  private readonly settings: ModerationConfig;
  private readonly provider: ModerationProvider;

  constructor(
    private readonly media: MediaRepository,
    @InjectConfig() config: AppConfig,
  ) {
    this.settings = config.media.moderation;
    this.provider = createModerationProvider(this.settings);
  }

  /**
   * The outcome for a media's cleaned image, judged by its policy persona's policy (the default
   * without one). Throws ModerationUnavailable when the provider gives no verdict.
   */
  async judgeImage(mediaId: string, image: { readonly bytes: Buffer; readonly type: string }): Promise<ModerationOutcome> {
    const scores = await this.provider.moderateImage(image.bytes, image.type);
    // Nothing judged, nothing to keep.
    if (this.provider.name === 'none') return { status: 'ready', moderation: null };
    // Read after the scores, so that the verdict follows the policy in force when it is made.
    const { influencerId, policy } = await this.media.moderationPolicyOf(mediaId);
    const flagged = flaggedCategories(scores, this.settings.threshold, policy);
    const moderation = { provider: this.provider.name, flagged: flagged.length > 0, scores, flaggedCategories: flagged, policyOf: influencerId };
    if (flagged.length === 0) return { status: 'ready', moderation };
    return {
      status: 'rejected',
      moderation,
      rejectionCode: ModerationRejections.flagged,
      rejectionDetail: `Moderation flagged this image (${flagged.join(', ')}): it is not shown to anyone.`,
    };
  }

  /**
   * The categories `influencerId`'s policy flags in a ready media's verdict, for sending it to that
   * persona: an upload judged for one persona (an nsfw one allowing `sexual`) may be flagged for
   * another. What an admin approved stays approved. Empty for media nothing judged.
   */
  async flaggedFor(moderation: MediaModeration | null, influencerId: string): Promise<string[]> {
    if (!moderation) return [];
    const flagged = flaggedCategories(moderation.scores, this.settings.threshold, await this.media.influencerModerationPolicy(influencerId));
    const approved = new Set(moderation.review?.decision === 'approved' ? moderation.flaggedCategories : []);
    return flagged.filter((category) => !approved.has(category));
  }

  /** The outcome when the last try got no verdict: rejected, as nothing is shown unjudged (logged: an outage to look into). */
  unavailable(mediaId: string, error: ModerationUnavailable): ModerationOutcome {
    this.logger.warn(`Media ${mediaId} is rejected without a verdict: ${error.message}`);
    return {
      status: 'rejected',
      moderation: null,
      rejectionCode: ModerationRejections.unavailable,
      rejectionDetail: 'The image could not be checked by moderation, so it is not shown: upload it again later.',
    };
  }

  /**
   * Refuses a user's message to `influencerId` that its policy flags (422 `content_flagged`,
   * naming the categories), when MODERATION_TEXT is on; does nothing otherwise. A provider that
   * gives no verdict refuses it too (503 `moderation_unavailable`): the user may send it again.
   */
  async checkText(text: string, influencerId: string): Promise<void> {
    if (!this.settings.text) return;
    let scores: Record<string, number>;
    try {
      scores = await this.provider.moderateText(text);
    } catch (error) {
      if (!(error instanceof ModerationUnavailable)) throw error;
      this.logger.warn(error.message);
      throw new ProblemException(MediaProblems.moderationUnavailable, 'Messages cannot be checked by moderation at the moment: send it again in a moment.');
    }
    const flagged = flaggedCategories(scores, this.settings.threshold, await this.media.influencerModerationPolicy(influencerId));
    if (flagged.length > 0) {
      throw new ProblemException(MediaProblems.contentFlagged, `Moderation flagged this message (${flagged.join(', ')}): it was not sent.`, {
        extensions: { categories: flagged },
      });
    }
  }
}
