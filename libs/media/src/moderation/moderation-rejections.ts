import type { MediaEntity } from '../media.entity.js';

/** Why moderation rejected a file: flagged by its policy, or no verdict could be had. */
export const ModerationRejections = { flagged: 'moderation_flagged', unavailable: 'moderation_unavailable' } as const;

/**
 * A flagged file keeps its cleaned image and thumbnail (never shown to its owner or a model) so
 * that admins can review it, and approve it; an admin's confirmation keeps them too, until the
 * owner deletes the file. Only these rejections are reviewable.
 */
export function keptForReview(media: Pick<MediaEntity, 'status' | 'rejectionCode'>): boolean {
  return media.status === 'rejected' && media.rejectionCode === ModerationRejections.flagged;
}
