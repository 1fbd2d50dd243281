import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RepliesRepository, type ReplyCheckpoint } from './replies.repository.js';

/**
 * A streaming reply's text is saved at most this often, so that a crash loses at most this
 * much of what the user saw.
 */
const CHECKPOINT_INTERVAL_MS = 1_000;
/** Replies saved per statement: bounds a statement's size when thousands stream at once. */
const BATCH_SIZE = 500;

/**
 * Saves the partial text of streaming replies at a bounded rate, never on a stream's path:
 * every CHECKPOINT_INTERVAL_MS, the replies whose text grew since their last save are written
 * together, one statement per BATCH_SIZE replies, however many stream at once. One write is in
 * flight at a time; a write that fails is logged, and the replies it carried are saved with
 * their next change. A reply found deleted (its conversation, or its user's account) is told
 * so, and stops generating for nobody.
 */
@Injectable()
export class ReplyCheckpoints implements OnApplicationShutdown {
  private readonly logger = new Logger('Replies');
  /** Replies whose text changed since they were last saved: how to read their checkpoint now. */
  private readonly due = new Map<string, () => ReplyCheckpoint>();
  /** What to do when a streaming reply turns out deleted, by reply. */
  private readonly onGone = new Map<string, () => void>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly replies: RepliesRepository) {}

  /** The reply's text grew: it is saved with the next batch; `gone` is called if its message no longer exists. */
  changed(replyId: string, read: () => ReplyCheckpoint, gone: () => void): void {
    this.due.set(replyId, read);
    this.onGone.set(replyId, gone);
    this.arm();
  }

  /** The reply ended: no checkpoint of it is taken any more; resolves once a write carrying it has landed. */
  async close(replyId: string): Promise<void> {
    this.due.delete(replyId);
    this.onGone.delete(replyId);
    await this.inFlight;
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    if (this.timer || this.due.size === 0) return;
    this.timer = setTimeout(() => this.flush(), CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = undefined;
    // The previous batch is still being written: this one waits for the next interval.
    if (this.inFlight) return this.arm();
    const batch = [...this.due.values()].map((read) => read());
    this.due.clear();
    this.inFlight = this.write(batch).finally(() => {
      this.inFlight = undefined;
    });
  }

  private async write(batch: ReplyCheckpoint[]): Promise<void> {
    for (let start = 0; start < batch.length; start += BATCH_SIZE) {
      const gone = await this.replies.saveCheckpoints(batch.slice(start, start + BATCH_SIZE)).catch((error: Error) => {
        this.logger.warn(`The partial text of ${Math.min(BATCH_SIZE, batch.length - start)} streaming reply(ies) could not be saved: ${error.message}`);
        return [];
      });
      for (const replyId of gone) this.onGone.get(replyId)?.();
    }
  }
}
