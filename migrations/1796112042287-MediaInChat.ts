import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Media in chat: attachments on messages, personas' media (profile image, gallery), moderation
 * verdicts and policies, direct uploads awaited, and the queue of objects to delete. Triggers
 * keep the store free of orphans whatever deletes a record: a deleted message (or conversation,
 * or account) deletes the uploads attached to it, and a deleted media record queues its objects.
 */
export class MediaInChat1796112042287 implements MigrationInterface {
  name = 'MediaInChat1796112042287';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "message_attachments" ("message_id" uuid NOT NULL, "position" smallint NOT NULL, "media_id" uuid NOT NULL, "source" character varying(16) NOT NULL, CONSTRAINT "message_attachments_source_check" CHECK ("source" IN ('user', 'persona')), CONSTRAINT "PK_c1e403cd1dc7bd2c90bae10c731" PRIMARY KEY ("message_id", "position"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "message_attachments_upload_key" ON "message_attachments"  ("media_id") WHERE "source" = 'user'`);
    await queryRunner.query(`CREATE INDEX "message_attachments_media_idx" ON "message_attachments"  ("media_id")`);
    await queryRunner.query(`CREATE TABLE "media_garbage" ("storage_key" character varying(512) NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "attempts" integer NOT NULL DEFAULT '0', CONSTRAINT "PK_00a580078b0f0c5fb0708352a3e" PRIMARY KEY ("storage_key"))`);
    await queryRunner.query(`CREATE INDEX "media_garbage_due_idx" ON "media_garbage"  ("due_at")`);
    await queryRunner.query(`ALTER TABLE "influencers" ADD "moderation_policy" jsonb`);
    await queryRunner.query(`ALTER TABLE "messages" ADD "attachment_count" smallint NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "media" ADD "owner_influencer_id" uuid`);
    await queryRunner.query(`ALTER TABLE "media" ADD "purpose" character varying(16) NOT NULL DEFAULT 'upload'`);
    await queryRunner.query(`ALTER TABLE "media" ADD "tags" jsonb NOT NULL DEFAULT '[]'`);
    await queryRunner.query(`ALTER TABLE "media" ADD "caption" text`);
    await queryRunner.query(`ALTER TABLE "media" ADD "premium_only" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "media" ADD "policy_influencer_id" uuid`);
    await queryRunner.query(`ALTER TABLE "media" ADD "moderation" jsonb`);
    await queryRunner.query(`ALTER TABLE "media" ADD "upload_expires_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "media" ALTER COLUMN "owner_user_id" DROP NOT NULL`);
    await queryRunner.query(`CREATE INDEX "media_rejected_idx" ON "media"  ("updated_at") WHERE "status" = 'rejected'`);
    await queryRunner.query(`CREATE INDEX "media_pending_idx" ON "media"  ("upload_expires_at") WHERE "status" = 'pending'`);
    await queryRunner.query(`CREATE INDEX "media_influencer_idx" ON "media"  ("owner_influencer_id", "purpose") WHERE "owner_influencer_id" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "media_status_check"`);
    await queryRunner.query(`ALTER TABLE "media" ADD CONSTRAINT "media_status_check" CHECK ("status" IN ('pending', 'processing', 'ready', 'rejected'))`);
    await queryRunner.query(`ALTER TABLE "media" ADD CONSTRAINT "media_purpose_check" CHECK ("purpose" IN ('upload', 'profile', 'gallery'))`);
    await queryRunner.query(`ALTER TABLE "media" ADD CONSTRAINT "media_owner_check" CHECK (("owner_user_id" IS NULL) <> ("owner_influencer_id" IS NULL))`);
    await queryRunner.query(`ALTER TABLE "media" ADD CONSTRAINT "FK_ac60edc7135bc110fafada1b7af" FOREIGN KEY ("owner_influencer_id") REFERENCES "influencers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(
      `ALTER TABLE "media" ADD CONSTRAINT "FK_7a40049635b8b18d4de74ff5e7c" FOREIGN KEY ("policy_influencer_id") REFERENCES "influencers"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "message_attachments" ADD CONSTRAINT "FK_477f6d51c35a8ef4e3a72e63239" FOREIGN KEY ("media_id") REFERENCES "media"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(
      `CREATE FUNCTION "media_queue_garbage"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO "media_garbage" ("storage_key")
          SELECT key FROM unnest(ARRAY[OLD."storage_key", OLD."thumbnail_key"]) AS key WHERE key IS NOT NULL
          ON CONFLICT DO NOTHING;
        RETURN NULL;
      END $$`,
    );
    await queryRunner.query(`CREATE TRIGGER "media_queue_garbage" AFTER DELETE ON "media" FOR EACH ROW EXECUTE FUNCTION "media_queue_garbage"()`);
    await queryRunner.query(
      `CREATE FUNCTION "message_attachments_delete_upload"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM "media" WHERE "id" = OLD."media_id";
        RETURN NULL;
      END $$`,
    );
    await queryRunner.query(
      `CREATE TRIGGER "message_attachments_delete_upload" AFTER DELETE ON "message_attachments" FOR EACH ROW WHEN (OLD."source" = 'user') EXECUTE FUNCTION "message_attachments_delete_upload"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "message_attachments_delete_upload" ON "message_attachments"`);
    await queryRunner.query(`DROP FUNCTION "message_attachments_delete_upload"()`);
    await queryRunner.query(`DROP TRIGGER "media_queue_garbage" ON "media"`);
    await queryRunner.query(`DROP FUNCTION "media_queue_garbage"()`);
    await queryRunner.query(`DELETE FROM "media" WHERE "owner_user_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "media_status_check"`);
    await queryRunner.query(`UPDATE "media" SET "status" = 'rejected' WHERE "status" = 'pending'`);
    await queryRunner.query(`ALTER TABLE "media" ADD CONSTRAINT "media_status_check" CHECK ("status" IN ('processing', 'ready', 'rejected'))`);
    await queryRunner.query(`ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_477f6d51c35a8ef4e3a72e63239"`);
    await queryRunner.query(`ALTER TABLE "message_attachments" DROP CONSTRAINT "FK_bf65c3db8657cef6197b68b8c88"`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "FK_7a40049635b8b18d4de74ff5e7c"`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "FK_ac60edc7135bc110fafada1b7af"`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "media_owner_check"`);
    await queryRunner.query(`ALTER TABLE "media" DROP CONSTRAINT "media_purpose_check"`);
    await queryRunner.query(`DROP INDEX "public"."media_influencer_idx"`);
    await queryRunner.query(`DROP INDEX "public"."media_pending_idx"`);
    await queryRunner.query(`DROP INDEX "public"."media_rejected_idx"`);
    await queryRunner.query(`ALTER TABLE "media" ALTER COLUMN "owner_user_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "upload_expires_at"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "moderation"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "policy_influencer_id"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "premium_only"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "caption"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "tags"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "purpose"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "owner_influencer_id"`);
    await queryRunner.query(`ALTER TABLE "influencers" DROP COLUMN "moderation_policy"`);
    await queryRunner.query(`ALTER TABLE "messages" DROP COLUMN "attachment_count"`);
    await queryRunner.query(`DROP INDEX "public"."media_garbage_due_idx"`);
    await queryRunner.query(`DROP TABLE "media_garbage"`);
    await queryRunner.query(`DROP INDEX "public"."message_attachments_media_idx"`);
    await queryRunner.query(`DROP INDEX "public"."message_attachments_upload_key"`);
    await queryRunner.query(`DROP TABLE "message_attachments"`);
  }
}
