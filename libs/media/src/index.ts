export { MEDIA_ENTITIES, MEDIA_STATUSES, type MediaStatus } from './media.entity.js';
export { MediaModule } from './media.module.js';
export { MediaService, type MediaView, type UploadOwner } from './media.service.js';
export { DirectUploads, type DirectUploadView } from './direct-upload.service.js';
export { MediaStore } from './storage/index.js';
export { ModerationService } from './moderation/index.js';
export { MediaAttachments, SEND_MEDIA_TOOL, type AttachableMedia, type AttachmentView, type MediaAttachmentsContract, type PersonaMediaPick } from './media-attachments.js';
export { MediaProblems } from './media.errors.js';
