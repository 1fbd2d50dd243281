import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { Jobs } from '#chorus/core';
import { MediaGarbageRepository } from './media-garbage.repository.js';
import { MediaStore } from './storage/index.js';

const COLLECT_JOB = 'media.collect-garbage';
const COLLECT_INTERVAL_MS = 30_000;
/** Keys deleted per run: a backlog (after a store outage) drains over several runs without holding one for long. */
const BATCH = 200;

/**
 * Deletes the store objects of media records that are gone, whatever deleted them (the user, a
 * cascade from their message, conversation or account, an expired upload): the database queues
 * their keys in the same transaction, so none is forgotten, and a deletion that fails (the store
 * down) is retried with a growing delay.
 */
@Injectable()
export class MediaGarbageCollector implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Media');

  constructor(
    private readonly garbage: MediaGarbageRepository,
    private readonly store: MediaStore,
    private readonly jobs: Jobs,
  ) {}

  onModuleInit(): void {
    this.jobs.define(COLLECT_JOB, { handler: async () => void (await this.collect()), attempts: 1 });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(COLLECT_JOB, COLLECT_INTERVAL_MS);
  }

  /** One run: the due keys' objects deleted and forgotten; a failure postpones its key. Answers how many were deleted. */
  async collect(keys?: readonly string[]): Promise<number> {
    const due = keys ?? (await this.garbage.due(BATCH));
    const deleted: string[] = [];
    let failed = 0;
    await Promise.all(
      due.map(async (key) => {
        try {
          await this.store.delete(key);
          deleted.push(key);
        } catch {
          failed++;
          await this.garbage.postpone(key);
        }
      }),
    );
    await this.garbage.forget(deleted);
    if (failed > 0) this.logger.warn(`Media garbage: ${failed} object(s) could not be deleted; they will be tried again`);
    return deleted.length;
  }
}
