import type { ProblemType } from '#chorus/core';

export const MediaProblems = {
  urlInvalid: { code: 'media_url_invalid', status: 403, title: 'Media URL invalid or expired' },
  notReady: { code: 'media_not_ready', status: 409, title: 'Media not ready' },
  alreadyAttached: { code: 'media_already_attached', status: 409, title: 'Media already attached' },
  rejected: { code: 'media_rejected', status: 422, title: 'Media rejected' },
  attachmentsTooLarge: { code: 'attachments_too_large', status: 422, title: 'Attachments too large' },
  tooManyAttachments: { code: 'too_many_attachments', status: 422, title: 'Too many attachments' },
  contentFlagged: { code: 'content_flagged', status: 422, title: 'Content flagged by moderation' },
  moderationUnavailable: { code: 'moderation_unavailable', status: 503, title: 'Moderation unavailable' },
  notReviewable: { code: 'media_not_reviewable', status: 409, title: 'Media not reviewable' },
  unknownPersona: { code: 'unknown_persona', status: 422, title: 'Unknown persona' },
  directUploadUnavailable: { code: 'direct_upload_unavailable', status: 409, title: 'Direct upload unavailable' },
  uploadIncomplete: { code: 'upload_incomplete', status: 409, title: 'Upload incomplete' },
  uploadStalled: { code: 'upload_stalled', status: 408, title: 'Upload stalled' },
  audioUnreadable: { code: 'audio_unreadable', status: 422, title: 'Audio unreadable' },
  audioTooLong: { code: 'audio_too_long', status: 422, title: 'Audio too long' },
  notAudio: { code: 'media_not_audio', status: 422, title: 'Media not audio' },
} as const satisfies Record<string, ProblemType>;
