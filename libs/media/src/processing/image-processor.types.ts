/**
 * The image types Chorus accepts, by what their bytes say (never by name or declared type).
 * AVIF is here because the sharp build in use decodes it (libheif with the AV1 decoder); HEIC is
 * not, because that build has no HEVC decoder.
 */
export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** An image made safe to show: oriented, re-encoded without any metadata, with its thumbnail. */
export interface CleanedImage {
  /** Always the type of the upload: an image is cleaned, never converted. */
  readonly type: ImageType;
  readonly bytes: Buffer;
  /** As shown, after EXIF orientation; for an animation, of one frame. */
  readonly width: number;
  readonly height: number;
  /** A small WebP, at most THUMBNAIL_SIZE px on its longer side; an animation's first frame. */
  readonly thumbnail: Buffer;
  /** SHA-256 of `bytes`, hex. */
  readonly checksum: string;
}

/** Why an image was refused: a stable code (the problem's `code`) and a sentence for the user. */
export class ImageRejected extends Error {
  /** `options.cause` keeps the decoder's own error for the log; the message stays for the user. */
  constructor(
    readonly code: 'unsupported_media_type' | 'image_too_large' | 'image_unreadable',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ImageRejected';
  }
}
