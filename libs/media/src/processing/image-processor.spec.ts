import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';
import { ImageProcessor, SNIFF_BYTES, THUMBNAIL_SIZE } from './image-processor.js';
import { ImageRejected } from './image-processor.types.js';

// Every fixture is made here, with sharp or by hand, so the tests need no files and no tools.

const GPS_EXIF = {
  IFD0: { Make: 'Acme', Model: 'Phone 1' },
  IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2982/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4020/100' },
};

/** Left half red, right half blue: where each half ends up shows how the image was turned. */
async function redLeftBlueRight(width: number, height: number): Promise<Sharp> {
  const blue = await sharp({ create: { width: width / 2, height, channels: 3, background: '#0000ff' } }).png().toBuffer();
  const image = await sharp({ create: { width, height, channels: 3, background: '#ff0000' } })
    .composite([{ input: blue, left: width / 2, top: 0 }])
    .png()
    .toBuffer();
  return sharp(image);
}

function solid(width: number, height: number, background = '#336699'): Sharp {
  return sharp({ create: { width, height, channels: 3, background } });
}

async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all(['#ff0000', '#00ff00', '#0000ff'].map((colour) => solid(30, 20, colour).png().toBuffer()));
  return sharp(frames, { join: { animated: true } }).gif({ delay: [100, 200, 300], loop: 2 }).toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Inserts chunks right after IHDR (8 bytes of signature, then 25 of IHDR). */
function withPngChunks(png: Buffer, ...chunks: Buffer[]): Buffer {
  return Buffer.concat([png.subarray(0, 33), ...chunks, png.subarray(33)]);
}

/**
 * A real, valid PNG of width × height black pixels (1-bit grey) that is about 50 KB: what a
 * decompression bomb looks like. Made by hand because sharp takes ~17 s to encode one.
 */
function pngBomb(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunkTypes(png: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 8; offset + 8 <= png.length; offset += 12 + png.readUInt32BE(offset)) {
    types.push(png.toString('latin1', offset + 4, offset + 8));
  }
  return types;
}

/** The markers of a JPEG up to its first scan: APP1 is EXIF/XMP, APP2 ICC, APP13 IPTC, 0xFE a comment. */
function jpegMarkers(jpeg: Buffer): number[] {
  const markers: number[] = [];
  for (let offset = 2; offset + 4 <= jpeg.length && jpeg[offset] === 0xff; offset += 2 + jpeg.readUInt16BE(offset + 2)) {
    markers.push(jpeg[offset + 1]!);
    if (jpeg[offset + 1] === 0xda) break;
  }
  return markers;
}

function riffChunkTypes(webp: Buffer): string[] {
  const types: string[] = [];
  for (let offset = 12; offset + 8 <= webp.length; offset += 8 + webp.readUInt32LE(offset + 4) + (webp.readUInt32LE(offset + 4) % 2)) {
    types.push(webp.toString('latin1', offset, offset + 4));
  }
  return types;
}

/** The tags of IFD0 and of the GPS IFD in an EXIF block (as sharp's metadata gives it). */
function exifTags(exif: Buffer): { ifd0: number[]; gps: number[] } {
  const tiff = exif.toString('latin1', 0, 4) === 'Exif' ? exif.subarray(6) : exif;
  const little = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (at: number) => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const entries = (ifd: number) => Array.from({ length: u16(ifd) }, (_, i) => ({ tag: u16(ifd + 2 + i * 12), value: u32(ifd + 10 + i * 12) }));
  const ifd0 = entries(u32(4));
  const gpsPointer = ifd0.find((entry) => entry.tag === 0x8825);
  return { ifd0: ifd0.map((entry) => entry.tag), gps: gpsPointer ? entries(gpsPointer.value).map((entry) => entry.tag) : [] };
}

async function pixel(image: Buffer, x: number, y: number): Promise<{ r: number; g: number; b: number }> {
  const [r, g, b] = await sharp(image).extract({ left: x, top: y, width: 1, height: 1 }).removeAlpha().raw().toBuffer();
  return { r: r!, g: g!, b: b! };
}

/** Which of pure red, green or blue a pixel is, within what lossy encoding changes. */
function colourAt({ r, g, b }: { r: number; g: number; b: number }): string {
  const strong = (value: number) => value > 190;
  const weak = (value: number) => value < 70;
  if (strong(r) && weak(g) && weak(b)) return 'red';
  if (weak(r) && strong(g) && weak(b)) return 'green';
  if (weak(r) && weak(g) && strong(b)) return 'blue';
  return `rgb(${r}, ${g}, ${b})`;
}

async function rejection(promise: Promise<unknown>): Promise<ImageRejected> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ImageRejected);
  return error as ImageRejected;
}

const LIMITS = { maxPixels: 40_000_000, maxBytes: 10 * 1024 * 1024 };

describe('ImageProcessor', () => {
  const sut = new ImageProcessor(LIMITS);

  describe('telling the type from the bytes', () => {
    it('reads at most SNIFF_BYTES, which is enough for a PNG with a large chunk before its pixels', async () => {
      const png = await solid(10, 10).png().toBuffer();
      const padded = withPngChunks(png, pngChunk('tEXt', Buffer.alloc(SNIFF_BYTES * 2, 0x41)));
      expect(await sut.detect(padded)).toEqual({ mime: 'image/png', ext: 'png' });
      expect(await sut.imageTypeOf(padded.subarray(0, SNIFF_BYTES))).toBe('image/png');
    });

    it('knows PNG bytes as PNG, whatever the upload was called', async () => {
      expect(await sut.imageTypeOf(await solid(10, 10).png().toBuffer())).toBe('image/png');
    });

    it('knows JPEG, WebP, GIF and AVIF', async () => {
      expect(await sut.imageTypeOf(await solid(10, 10).jpeg().toBuffer())).toBe('image/jpeg');
      expect(await sut.imageTypeOf(await solid(10, 10).webp().toBuffer())).toBe('image/webp');
      expect(await sut.imageTypeOf(await animatedGif())).toBe('image/gif');
      expect(await sut.imageTypeOf(await solid(10, 10).avif().toBuffer())).toBe('image/avif');
    });

    it('takes an AVIF that names the generic HEIF brand first as AVIF', async () => {
      const avif = await solid(10, 10).avif().toBuffer();
      const mif1 = Buffer.concat([avif.subarray(0, 8), Buffer.from('mif1', 'latin1'), avif.subarray(12)]);
      expect(await sut.detect(mif1)).toEqual({ mime: 'image/avif', ext: 'avif' });
      const cleaned = await sut.clean(mif1);
      expect(cleaned.type).toBe('image/avif');
      expect([cleaned.width, cleaned.height]).toEqual([10, 10]);
    });

    it('takes an APNG as the PNG its first frame is', async () => {
      const actl = Buffer.alloc(8);
      actl.writeUInt32BE(1, 0); // one frame, looping forever
      const apng = withPngChunks(await solid(12, 8).png().toBuffer(), pngChunk('acTL', actl));
      expect((await sut.detect(apng))?.mime).toBe('image/apng');
      expect(await sut.imageTypeOf(apng)).toBe('image/png');
      const cleaned = await sut.clean(apng);
      expect(cleaned.type).toBe('image/png');
      expect(pngChunkTypes(cleaned.bytes)).not.toContain('acTL');
    });

    it.each([
      ['a Linux executable', Buffer.from('7f454c4602010100000000000000000003003e00', 'hex'), 'application/x-elf'],
      ['a Windows executable', Buffer.concat([Buffer.from('MZ', 'latin1'), Buffer.alloc(126)]), 'application/x-msdownload'],
      ['a PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), 'application/pdf'],
    ])('refuses %s as unsupported, naming what it is and the supported types', async (_name, bytes, mime) => {
      const error = await rejection(sut.imageTypeOf(bytes));
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toBe(`This file is ${mime}, not a supported image: send JPEG, PNG, WebP, GIF or AVIF.`);
    });

    it('refuses an SVG (text, so of no known signature), and never hands it to a renderer', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
      const error = await rejection(sut.clean(svg));
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toBe('This file is not a supported image: send JPEG, PNG, WebP, GIF or AVIF.');
    });

    it.each([
      ['heic', 'image/heic'],
      ['mif1', 'image/heif'],
    ])('refuses HEIC (ftyp %s) with its own advice: this server cannot decode it', async (brand, mime) => {
      // What an iPhone photo starts with; nothing past the `ftyp` box is needed to know it.
      const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from(`ftyp${brand}\0\0\0\0mif1heic`, 'latin1'), Buffer.alloc(64)]);
      expect((await sut.detect(heic))?.mime).toBe(mime);
      const error = await rejection(sut.imageTypeOf(heic));
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toMatch(/^HEIC images are not supported on this server: send the photo as JPEG/);
      expect(error.message).toContain('JPEG, PNG, WebP, GIF or AVIF');
    });

    it('refuses bytes of no known type as unsupported', async () => {
      const error = await rejection(sut.clean(Buffer.from('hello, this is not an image at all')));
      expect(error.code).toBe('unsupported_media_type');
    });

    it('refuses zero bytes as unreadable: an empty upload is not of any type, so "send a JPEG" would not help', async () => {
      expect((await rejection(sut.imageTypeOf(Buffer.alloc(0)))).code).toBe('image_unreadable');
      const error = await rejection(sut.clean(Buffer.alloc(0)));
      expect(error.code).toBe('image_unreadable');
      expect(error.message).toBe('The file is empty.');
    });
  });

  describe('cleaning', () => {
    it('applies EXIF orientation, then keeps no EXIF and no GPS at all', async () => {
      // Stored 120 × 80 with orientation 6: shown turned a quarter clockwise, 80 × 120, red on top.
      const photo = await (await redLeftBlueRight(120, 80)).jpeg().withExif(GPS_EXIF).withMetadata({ orientation: 6 }).toBuffer();
      const before = await sharp(photo).metadata();
      expect(before.orientation).toBe(6);
      expect(exifTags(before.exif!).gps).toEqual(expect.arrayContaining([0x0001, 0x0002, 0x0003, 0x0004]));

      const cleaned = await sut.clean(photo);

      const after = await sharp(cleaned.bytes).metadata();
      expect(after.format).toBe('jpeg');
      expect(after.exif).toBeUndefined();
      expect(after.orientation).toBeUndefined();
      expect([after.width, after.height]).toEqual([80, 120]);
      expect([cleaned.width, cleaned.height]).toEqual([80, 120]);
      expect(colourAt(await pixel(cleaned.bytes, 40, 10))).toBe('red');
      expect(colourAt(await pixel(cleaned.bytes, 40, 110))).toBe('blue');
      expect(cleaned.bytes.includes('Acme')).toBe(false);
      // The thumbnail is oriented and clean too.
      const thumbnail = await sharp(cleaned.thumbnail).metadata();
      expect([thumbnail.format, thumbnail.width, thumbnail.height, thumbnail.exif]).toEqual(['webp', 80, 120, undefined]);
    });

    it('keeps no XMP, ICC profile or comment in a JPEG either: only its image markers are left', async () => {
      const photo = await solid(64, 48)
        .jpeg()
        .withIccProfile('p3')
        .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
        .toBuffer();
      const before = await sharp(photo).metadata();
      expect(before.icc).toBeDefined();
      expect(before.xmp).toBeDefined();

      const cleaned = await sut.clean(photo);

      const after = await sharp(cleaned.bytes).metadata();
      expect([after.icc, after.xmp, after.iptc, after.exif]).toEqual([undefined, undefined, undefined, undefined]);
      // No APP1..APP15 (EXIF, XMP, ICC, IPTC...) and no comment.
      expect(jpegMarkers(cleaned.bytes).filter((marker) => (marker >= 0xe1 && marker <= 0xef) || marker === 0xfe)).toEqual([]);
    });

    it('keeps a PNG a PNG, without its EXIF or text chunks', async () => {
      const png = withPngChunks(await solid(50, 30).png().withExif(GPS_EXIF).toBuffer(), pngChunk('tEXt', Buffer.from('Comment\0taken at home', 'latin1')));
      expect(pngChunkTypes(png)).toEqual(expect.arrayContaining(['eXIf', 'tEXt']));

      const cleaned = await sut.clean(png);

      expect(cleaned.type).toBe('image/png');
      expect([cleaned.width, cleaned.height]).toEqual([50, 30]);
      // pHYs is the pixel density libvips always writes: it says nothing about who or where.
      expect(pngChunkTypes(cleaned.bytes).filter((type) => !['IHDR', 'PLTE', 'tRNS', 'pHYs', 'IDAT', 'IEND'].includes(type))).toEqual([]);
      expect((await sharp(cleaned.bytes).metadata()).exif).toBeUndefined();
    });

    it('keeps a WebP a WebP, with its transparency and without its EXIF', async () => {
      const webp = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } })
        .webp()
        .withExif(GPS_EXIF)
        .toBuffer();
      expect(riffChunkTypes(webp)).toContain('EXIF');

      const cleaned = await sut.clean(webp);

      expect(cleaned.type).toBe('image/webp');
      const after = await sharp(cleaned.bytes).metadata();
      expect([after.format, after.width, after.height, after.hasAlpha, after.exif]).toEqual(['webp', 40, 30, true, undefined]);
      expect(riffChunkTypes(cleaned.bytes).filter((type) => ['EXIF', 'XMP ', 'ICCP'].includes(type))).toEqual([]);
    });

    it('keeps every frame of an animated GIF, with its delays and loop count; the thumbnail is its first frame', async () => {
      const cleaned = await sut.clean(await animatedGif());

      expect(cleaned.type).toBe('image/gif');
      expect([cleaned.width, cleaned.height]).toEqual([30, 20]);
      const after = await sharp(cleaned.bytes).metadata();
      expect([after.format, after.pages, after.delay, after.loop]).toEqual(['gif', 3, [100, 200, 300], 2]);
      const thumbnail = await sharp(cleaned.thumbnail).metadata();
      expect([thumbnail.format, thumbnail.pages ?? 1, thumbnail.width, thumbnail.height]).toEqual(['webp', 1, 30, 20]);
      expect(colourAt(await pixel(cleaned.thumbnail, 15, 10))).toBe('red');
    });

    it('keeps every frame of an animated WebP', async () => {
      const animated = await sharp(await animatedGif(), { animated: true }).webp().toBuffer();
      const cleaned = await sut.clean(animated);
      expect(cleaned.type).toBe('image/webp');
      expect([cleaned.width, cleaned.height]).toEqual([30, 20]);
      expect((await sharp(cleaned.bytes).metadata()).pages).toBe(3);
    });

    it('keeps an animation with an EXIF orientation as stored (sharp cannot turn one), thumbnail too', async () => {
      const frames = await Promise.all(['#ff0000', '#00ff00'].map((colour) => solid(30, 20, colour).png().toBuffer()));
      const animated = await sharp(frames, { join: { animated: true } }).webp().withMetadata({ orientation: 6 }).toBuffer();
      expect((await sharp(animated).metadata()).orientation).toBe(6);

      const cleaned = await sut.clean(animated);

      expect([cleaned.width, cleaned.height]).toEqual([30, 20]);
      const after = await sharp(cleaned.bytes).metadata();
      expect([after.pages, after.orientation, after.exif]).toEqual([2, undefined, undefined]);
      const thumbnail = await sharp(cleaned.thumbnail).metadata();
      expect([thumbnail.width, thumbnail.height]).toEqual([30, 20]);
    });

    it('keeps an AVIF an AVIF', async () => {
      const cleaned = await sut.clean(await solid(40, 20).avif().toBuffer());
      expect(cleaned.type).toBe('image/avif');
      const after = await sharp(cleaned.bytes).metadata();
      expect([after.format, after.compression, after.width, after.height]).toEqual(['heif', 'av1', 40, 20]);
    });

    it('gives the SHA-256 of the cleaned bytes', async () => {
      const cleaned = await sut.clean(await solid(20, 20).png().toBuffer());
      expect(cleaned.checksum).toBe(createHash('sha256').update(cleaned.bytes).digest('hex'));
      expect(cleaned.checksum).toMatch(/^[0-9a-f]{64}$/);
    });

    it.each([
      ['a landscape image', 1000, 400, [THUMBNAIL_SIZE, 102]],
      ['a portrait image', 300, 1000, [77, THUMBNAIL_SIZE]],
      ['an image smaller than a thumbnail, never enlarged', 100, 50, [100, 50]],
    ])('makes a WebP thumbnail of at most THUMBNAIL_SIZE px on the longer side for %s', async (_name, width, height, size) => {
      const cleaned = await sut.clean(await solid(width, height).png().toBuffer());
      const thumbnail = await sharp(cleaned.thumbnail).metadata();
      expect(thumbnail.format).toBe('webp');
      expect([thumbnail.width, thumbnail.height]).toEqual(size);
    });
  });

  describe('limits', () => {
    it('refuses a decompression bomb from its header, without decoding it', async () => {
      const bomb = pngBomb(20_000, 20_000);
      expect(bomb.length).toBeLessThan(100_000);

      const started = performance.now();
      const error = await rejection(sut.clean(bomb));
      const elapsed = performance.now() - started;

      expect(error.code).toBe('image_too_large');
      expect(error.message).toBe('The image has 400000000 pixels (20000 × 20000); the most accepted is 40000000.');
      // Decoding and re-encoding it would take many seconds.
      expect(elapsed).toBeLessThan(1_000);
    });

    it('counts the pixels of every frame of an animation', async () => {
      const gif = await animatedGif(); // 3 frames of 30 × 20 = 1,800 pixels
      const small = new ImageProcessor({ maxPixels: 1_000, maxBytes: LIMITS.maxBytes });
      const error = await rejection(small.clean(gif));
      expect(error.code).toBe('image_too_large');
      expect(error.message).toBe('The image has 1800 pixels over 3 frames (30 × 20); the most accepted is 1000.');
      expect((await small.clean(await solid(30, 20).png().toBuffer())).width).toBe(30);
    });

    it('refuses more bytes than maxBytes before looking at them', async () => {
      const png = await solid(100, 100).png().toBuffer();
      const error = await rejection(new ImageProcessor({ maxPixels: LIMITS.maxPixels, maxBytes: png.length - 1 }).clean(png));
      expect(error.code).toBe('image_too_large');
      expect(error.message).toBe(`The image is ${png.length} bytes; the most accepted is ${png.length - 1}.`);
    });
  });

  describe('damaged images', () => {
    const noise = () => sharp({ create: { width: 200, height: 150, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });

    it.each([
      ['JPEG', () => noise().jpeg().toBuffer()],
      ['PNG', () => noise().png().toBuffer()],
    ])('refuses a truncated %s as unreadable', async (_name, make) => {
      const whole = await make();
      const error = await rejection(sut.clean(whole.subarray(0, Math.floor(whole.length / 2))));
      expect(error.code).toBe('image_unreadable');
      expect(error.message).toBe('The image could not be read: it is damaged or incomplete.');
      expect(error.cause).toBeInstanceOf(Error);
    });

    it('refuses garbage after a JPEG signature as unreadable', async () => {
      const garbage = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]);
      expect(await sut.imageTypeOf(garbage)).toBe('image/jpeg');
      expect((await rejection(sut.clean(garbage))).code).toBe('image_unreadable');
    });
  });
});
