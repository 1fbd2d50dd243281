export { MEDIA_ENTITIES, MEDIA_STATUSES, type MediaStatus } from './media.entity.js';
export { MediaModule } from './media.module.js';
export { MediaService, type MediaView } from './media.service.js';
export { MediaStore } from './storage/index.js';
