import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who named a conversation: its user, its first message (the provisional title set when the
 * first reply is saved), or the persona's model (the title job, which only replaces a
 * provisional title). Existing titles are taken for the user's, so none is replaced.
 */
export class ConversationTitleSource1796100501221 implements MigrationInterface {
  name = 'ConversationTitleSource1796100501221';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversations" ADD "title_source" character varying(16)`);
    await queryRunner.query(`UPDATE "conversations" SET "title_source" = 'user' WHERE "title" IS NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "conversations_title_source_check" CHECK ("title_source" IN ('user', 'message', 'model'))`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "conversations_title_source_check"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP COLUMN "title_source"`);
  }
}
