import sharp from 'sharp';

/** What a provider reads: these types, up to this many bytes. */
export interface ImageInputLimits {
  readonly types: ReadonlySet<string>;
  readonly maxBytes: number;
}

export interface ImageInput {
  readonly bytes: Buffer;
  readonly type: string;
}

/** The longer side of a rendition made for a provider: more than either looks at. */
const RENDITION_SIZE = 2048;
/** Frames of an animation put side by side (2 × 2) so that one request judges more than its first frame. */
const SHEET_FRAMES = 4;
const SHEET_CELL = RENDITION_SIZE / 2;

/**
 * The image as a provider can read it: the cleaned file itself when its type and size suit the
 * provider, otherwise a JPEG rendition. An animation becomes a sheet of frames spread over it
 * (providers read one still image): a tame first frame must not carry the rest through.
 */
export async function imageForProvider(image: ImageInput, limits: ImageInputLimits): Promise<ImageInput> {
  const { pages = 1 } = await sharp(image.bytes).metadata();
  if (pages > 1) return { bytes: await frameSheet(image.bytes, pages), type: 'image/jpeg' };
  if (limits.types.has(image.type) && image.bytes.length <= limits.maxBytes) return image;
  const still = await sharp(image.bytes).resize(RENDITION_SIZE, RENDITION_SIZE, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 85 }).toBuffer();
  return { bytes: still, type: 'image/jpeg' };
}

async function frameSheet(bytes: Buffer, pages: number): Promise<Buffer> {
  const picked = [...new Set(Array.from({ length: SHEET_FRAMES }, (_, index) => Math.floor((index * pages) / SHEET_FRAMES)))];
  const frames = await Promise.all(
    picked.map((page) => sharp(bytes, { page }).resize(SHEET_CELL, SHEET_CELL, { fit: 'inside', withoutEnlargement: true }).png().toBuffer({ resolveWithObject: true })),
  );
  // Every frame of an animation has the same size.
  const { width, height } = frames[0]!.info;
  const cells = frames.map((frame, index) => ({ input: frame.data, left: (index % 2) * width, top: Math.floor(index / 2) * height }));
  const sheet = { width: width * Math.min(2, frames.length), height: height * Math.ceil(frames.length / 2), channels: 3 as const, background: '#000' };
  return sharp({ create: sheet }).composite(cells).jpeg({ quality: 85 }).toBuffer();
}
