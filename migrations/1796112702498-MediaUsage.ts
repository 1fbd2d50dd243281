import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media in the usage ledger: an upload's event names its media (quantity: its bytes), as a
 * reply's names its message. No foreign key: the ledger keeps what was used after the media is deleted.
 */
export class MediaUsage1796112702498 implements MigrationInterface {
  name = 'MediaUsage1796112702498';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_events" ADD "media_id" uuid`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "usage_events" DROP COLUMN "media_id"`);
  }
}
