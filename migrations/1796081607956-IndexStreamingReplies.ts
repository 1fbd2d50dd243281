import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replies still `streaming`, by age: what crash recovery looks for at start and at every quota
 * sweep. A partial index, so that the look-up stays small however long the history grows.
 */
export class IndexStreamingReplies1796081607956 implements MigrationInterface {
  name = 'IndexStreamingReplies1796081607956';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "messages_streaming_idx" ON "messages" ("created_at") WHERE "status" = 'streaming'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."messages_streaming_idx"`);
  }
}
