export { ImageProcessor, SNIFF_BYTES, THUMBNAIL_SIZE, type ImageLimits } from './image-processor.js';
export { IMAGE_TYPES, ImageRejected, type CleanedImage, type ImageType } from './image-processor.types.js';
export { AUDIO_EXTENSIONS, AUDIO_TYPES, AudioRejected, SUPPORTED_AUDIO, audioDurationMs, audioTypeOf, isAudioType, type AudioType } from './audio-probe.js';
