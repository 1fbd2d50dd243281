export { ImageProcessor, SNIFF_BYTES, THUMBNAIL_SIZE, type ImageLimits } from './image-processor.js';
export { IMAGE_TYPES, ImageRejected, type CleanedImage, type ImageType } from './image-processor.types.js';
