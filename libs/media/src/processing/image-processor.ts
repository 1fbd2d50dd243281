import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type FormatEnum, type Metadata, type Sharp } from 'sharp';
import { type CleanedImage, IMAGE_TYPES, ImageRejected, type ImageType } from './image-processor.types.js';

/**
 * How many leading bytes `detect` looks at: file-type's own sample size (its
 * `reasonableDetectionSizeInBytes`). Every type here is known from its first 32 bytes; the rest
 * lets a PNG be told from an APNG (the `acTL` chunk comes before the first image data).
 */
export const SNIFF_BYTES = 4100;

/** The longer side of a thumbnail, in pixels; a smaller image keeps its size. */
export const THUMBNAIL_SIZE = 256;

export interface ImageLimits {
  /** The most pixels an image may decode to, all frames of an animation together. */
  readonly maxPixels: number;
  /** The most bytes an upload may have. */
  readonly maxBytes: number;
}

const TYPE_NAMES: Record<ImageType, string> = {
  'image/jpeg': 'JPEG',
  'image/png': 'PNG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'image/avif': 'AVIF',
};
const SUPPORTED = listed(IMAGE_TYPES.map((type) => TYPE_NAMES[type]));

/** What sharp calls each type once decoded: a file whose decoder disagrees with its signature is refused. */
const SHARP_FORMATS: Record<ImageType, keyof FormatEnum> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/avif': 'heif',
};

/** Types whose every frame is kept. An AVIF sequence keeps its still image only: libheif decodes items, not tracks. */
const ANIMATED_TYPES: ReadonlySet<ImageType> = new Set(['image/gif', 'image/webp']);

/** What file-type answers for HEIC and HEIF (iPhone photos): the prebuilt sharp has no HEVC decoder. */
const HEIC_TYPES: ReadonlySet<string> = new Set(['image/heic', 'image/heic-sequence', 'image/heif', 'image/heif-sequence']);

/**
 * Checks what an upload is from its bytes, and makes an accepted image safe to show: oriented,
 * re-encoded in its own format without any metadata (EXIF, GPS, XMP, ICC, comments), with a
 * WebP thumbnail. Decoding is bounded: the size in bytes and the pixel count (read from the
 * header, before any pixel is decoded) are checked first.
 */
export class ImageProcessor {
  constructor(private readonly limits: ImageLimits) {}

  /**
   * The type the bytes say, from their signature only (the first SNIFF_BYTES are read), or
   * undefined when no known signature matches. Asynchronous because file-type is.
   */
  async detect(head: Uint8Array): Promise<{ mime: string; ext: string } | undefined> {
    const sample = head.subarray(0, SNIFF_BYTES);
    // Unrecognisable bytes may also make a detector throw: that is still "no known type".
    const found = await fileTypeFromBuffer(sample).catch(() => undefined);
    if (!found) return undefined;
    // An AVIF whose `ftyp` names the generic HEIF brand first (`mif1`) and `avif` among the
    // compatible ones is AV1 inside, which sharp decodes: file-type calls it image/heif.
    if ((found.mime === 'image/heif' || found.mime === 'image/heif-sequence') && compatibleBrands(sample).includes('avif')) {
      return { mime: 'image/avif', ext: 'avif' };
    }
    return { mime: found.mime, ext: found.ext };
  }

  /**
   * The accepted type of an upload from its first bytes; throws ImageRejected otherwise:
   * `unsupported_media_type` naming the supported types (HEIC with its own advice), or
   * `image_unreadable` when there are no bytes at all (an empty upload is not of any type).
   */
  async imageTypeOf(head: Uint8Array): Promise<ImageType> {
    if (head.length === 0) throw new ImageRejected('image_unreadable', 'The file is empty.');
    const found = await this.detect(head);
    // An APNG is a PNG whose first frame every PNG decoder shows; that frame is what is kept.
    const mime = found?.mime === 'image/apng' ? 'image/png' : found?.mime;
    if (isImageType(mime)) return mime;
    if (mime !== undefined && HEIC_TYPES.has(mime)) {
      throw new ImageRejected(
        'unsupported_media_type',
        `HEIC images are not supported on this server: send the photo as JPEG (on an iPhone, Settings > Camera > Formats > Most Compatible). Supported types: ${SUPPORTED}.`,
      );
    }
    const what = found ? `This file is ${found.mime}, not a supported image` : 'This file is not a supported image';
    throw new ImageRejected('unsupported_media_type', `${what}: send ${SUPPORTED}.`);
  }

  /**
   * The image made safe to show, in the format it came in. Refuses with `image_too_large`
   * (too many bytes, or too many pixels by its header), `unsupported_media_type` (not one of
   * IMAGE_TYPES), or `image_unreadable` (empty, damaged or truncated).
   */
  async clean(input: Buffer): Promise<CleanedImage> {
    const { maxBytes, maxPixels } = this.limits;
    if (input.length > maxBytes) {
      throw new ImageRejected('image_too_large', `The image is ${input.length} bytes; the most accepted is ${maxBytes}.`);
    }
    const type = await this.imageTypeOf(input);
    const animated = ANIMATED_TYPES.has(type);

    // The header only: dimensions and frame count, nothing decoded. With `animated`, the
    // height is that of all frames stacked, so width × height counts every decoded pixel.
    const header = await this.read(() => sharp(input, { animated, limitInputPixels: false }).metadata());
    if (header.format !== SHARP_FORMATS[type]) {
      throw new ImageRejected('image_unreadable', `The file starts like ${TYPE_NAMES[type]} but is not one.`);
    }
    const pixels = header.width * header.height;
    if (pixels > maxPixels) {
      const frames = (header.pages ?? 1) > 1 && animated ? ` over ${header.pages} frames` : '';
      throw new ImageRejected(
        'image_too_large',
        `The image has ${pixels} pixels${frames} (${header.width} × ${header.pageHeight ?? header.height}); the most accepted is ${maxPixels}.`,
      );
    }

    // Both decoders keep the pixel limit, in case a header understated the truth. `failOn:
    // 'error'` refuses truncated or corrupt data but lets through the harmless warnings many
    // cameras' files raise (extraneous bytes before a marker). rotate() with no angle applies
    // EXIF orientation; it comes before any resize. sharp cannot turn an animation, so one
    // (which hardly ever has an orientation) keeps its frames as stored, and so does its
    // thumbnail. Without keep/withMetadata, sharp writes no EXIF, XMP, IPTC or ICC: colours
    // are converted to sRGB, which needs no profile.
    const orient = !(animated && (header.pages ?? 1) > 1);
    const open = (frames: boolean): Sharp => {
      const pipeline = sharp(input, { animated: frames, failOn: 'error', limitInputPixels: maxPixels });
      return orient ? pipeline.rotate() : pipeline;
    };
    const [image, thumbnail] = await this.read(() =>
      Promise.all([
        encode(open(animated), type, header).toBuffer({ resolveWithObject: true }),
        open(false)
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
          .webp({ quality: 80 })
          .toBuffer(),
      ]),
    );
    return {
      type,
      bytes: image.data,
      width: image.info.width,
      height: image.info.pageHeight ?? image.info.height,
      thumbnail,
      checksum: createHash('sha256').update(image.data).digest('hex'),
    };
  }

  /** Runs a sharp step; its failure means the bytes cannot be decoded. */
  private async read<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw new ImageRejected('image_unreadable', 'The image could not be read: it is damaged or incomplete.', { cause: error });
    }
  }
}

/** The re-encoding for each type: same format, settings that keep it looking the same. */
function encode(pipeline: Sharp, type: ImageType, header: Metadata): Sharp {
  switch (type) {
    case 'image/jpeg':
      return pipeline.jpeg({ quality: 85, mozjpeg: true });
    case 'image/png':
      // A palette PNG stays one (at most 256 colours, so exact) instead of growing to RGBA.
      return pipeline.png({ palette: header.isPalette });
    case 'image/webp':
      return pipeline.webp({ quality: 85 });
    case 'image/gif':
      // Frames, their delays and the loop count are kept (they are not metadata to sharp).
      return pipeline.gif();
    case 'image/avif':
      // AV1 encoding is slow: effort 2 of 9 takes about 1 s for 3 megapixels on two cores (the default, 4, about 6 s).
      return pipeline.avif({ quality: 60, effort: 2 });
  }
}

function isImageType(mime: string | undefined): mime is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(mime ?? '');
}

/** The compatible brands of an ISO-BMFF `ftyp` box at the start of `head`. */
function compatibleBrands(head: Uint8Array): string[] {
  if (head.length < 16) return [];
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const end = Math.min(bytes.readUInt32BE(0), bytes.length);
  const brands: string[] = [];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(bytes.toString('latin1', offset, offset + 4));
  return brands;
}

function listed(names: string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}
