import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertMediaKey } from './media-key.js';
import { MediaObjectMissing, MediaStore, assertRange, type PresignedUpload, type PresignedUploadPolicy } from './media-store.js';

/** Errors meaning "no file there": the path, or one of its parents, does not exist or is a file. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** How often a put retries when a concurrent delete removed the directory it had just created. */
const PUT_ATTEMPTS = 3;

/**
 * Media in a directory: the key `users/u1/m1/original` is the file `<root>/users/u1/m1/original`.
 * A put is written to a hidden temporary file beside its target and renamed over it once complete,
 * so a reader sees the old object or the new one, never a partial one, and a failed put leaves
 * nothing. The content type is not kept: the media service records it with the object.
 *
 * A key cannot name both an object and a "directory" of others (`a/b` and `a/b/c`), which S3
 * allows; the media service's keys never do.
 */
export class LocalMediaStore extends MediaStore {
  readonly kind = 'local' as const;
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async put(key: string, body: Readable, _contentType: string): Promise<void> {
    const target = this.pathOf(key);
    const temporary = join(dirname(target), `.${basename(target)}.${randomUUID()}.partial`);
    let handle: FileHandle;
    try {
      handle = await openCreatingDirectories(temporary);
    } catch (error) {
      body.destroy();
      await this.removeEmptyParents(dirname(target));
      throw error;
    }
    try {
      // `flush` syncs the file before it is closed: a crash after the rename cannot leave it empty.
      await pipeline(body, handle.createWriteStream({ flush: true }));
      await rename(temporary, target);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await rm(temporary, { force: true });
      // A failed upload (the client left, the body was too large) leaves no empty directory behind.
      await this.removeEmptyParents(dirname(target));
      throw error;
    }
  }

  async get(key: string): Promise<Readable> {
    // Read from the open handle: a delete while the client is downloading does not cut it short.
    return (await this.openObject(key)).createReadStream();
  }

  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    assertRange(start, length);
    const handle = await this.openObject(key);
    try {
      const range = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(range, filled, length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return range.subarray(0, filled);
    } finally {
      await handle.close();
    }
  }

  async size(key: string): Promise<number | undefined> {
    const file = this.pathOf(key);
    try {
      const stats = await stat(file);
      return stats.isFile() ? stats.size : undefined;
    } catch (error) {
      if (isAbsent(error)) return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (error) {
      if (isAbsent(error) || errorCode(error) === 'EISDIR') return;
      throw error;
    }
    await this.removeEmptyParents(dirname(file));
  }

  /** Always undefined: the API serves local media itself, under its own signed URL. */
  async signedUrl(key: string, _ttlSeconds: number): Promise<string | undefined> {
    this.pathOf(key);
    return undefined;
  }

  /** Always undefined: uploads to the local store go through the API. */
  async presignedPost(key: string, _policy: PresignedUploadPolicy): Promise<PresignedUpload | undefined> {
    this.pathOf(key);
    return undefined;
  }

  /** Creates the directory if needed, then writes and removes a file in it. */
  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    const probe = join(this.root, `.ping.${randomUUID()}`);
    const handle = await open(probe, 'wx');
    try {
      await handle.close();
    } finally {
      await rm(probe, { force: true });
    }
  }

  /** The object's file, open for reading; MediaObjectMissing when there is none. */
  private async openObject(key: string): Promise<FileHandle> {
    let handle: FileHandle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (error) {
      if (isAbsent(error)) throw new MediaObjectMissing(key);
      throw error;
    }
    // Opening a directory for reading succeeds on Linux; it is not an object either.
    const isFile = await handle.stat().then(
      (stats) => stats.isFile(),
      async (error: unknown) => {
        await handle.close();
        throw error;
      },
    );
    if (!isFile) {
      await handle.close();
      throw new MediaObjectMissing(key);
    }
    return handle;
  }

  /** The file for `key`, refusing any key that could lead outside the root. */
  private pathOf(key: string): string {
    assertMediaKey(key);
    const file = resolve(this.root, ...key.split('/'));
    if (!file.startsWith(this.root + sep)) throw new Error(`Invalid media key ${JSON.stringify(key)}: it leads outside the media directory`);
    return file;
  }

  /**
   * Removes the directories a delete or a failed put emptied, up to the root (not included), so
   * that no directory per user and per object is left behind. Stops at the first one still in use.
   */
  private async removeEmptyParents(directory: string): Promise<void> {
    let current = directory;
    while (current.startsWith(this.root + sep)) {
      try {
        await rmdir(current);
      } catch {
        // ENOTEMPTY (or EEXIST), or already removed by a concurrent delete: either way, done.
        return;
      }
      current = dirname(current);
    }
  }
}

/**
 * Opens `file` for writing, creating it (it must not exist) and its directories. A concurrent
 * delete may remove a directory between its creation and the open: then it is created again.
 */
async function openCreatingDirectories(file: string): Promise<FileHandle> {
  for (let attempt = 1; ; attempt += 1) {
    await mkdir(dirname(file), { recursive: true });
    try {
      return await open(file, 'wx');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt >= PUT_ATTEMPTS) throw error;
    }
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && ABSENT.has(code);
}
