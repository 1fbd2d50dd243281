import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Voice: audio media keep their measured duration and, once sent as a voice message, their
 * transcript; a persona's voice becomes a setting (provider, voice, speed...) in place of a bare
 * id, shown to conversations through `influencer_profiles`; a message counts its images (no longer all its attachments, which may be audio); synthesised speech is kept in `speech_clips`, by what made it, so that a replay is free.
 */
export class Voice1796124000000 implements MigrationInterface {
  name = 'Voice1796124000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "media" ADD "duration_ms" integer`);
    await queryRunner.query(`ALTER TABLE "media" ADD "transcript" jsonb`);
    await queryRunner.query(`ALTER TABLE "influencers" ADD "voice" jsonb`);
    await queryRunner.query(`UPDATE "influencers" SET "voice" = jsonb_build_object('voiceId', "voice_id") WHERE "voice_id" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "influencers" DROP COLUMN "voice_id"`);
    // A conversation speaks in its persona's voice: the influencers lib shows it to others through its view.
    await queryRunner.query(
      `CREATE OR REPLACE VIEW "influencer_profiles" AS
         SELECT "id", "handle", "display_name", "avatar_url", "system_prompt", "prompt_version", "model_policy", "premium_only",
                "status" = 'active' AND "deleted_at" IS NULL AS "accepting_messages", "voice"
           FROM "influencers"`,
    );
    await queryRunner.query(
      `CREATE TABLE "speech_clips" ("key" character varying(64) NOT NULL, "storage_key" character varying(512) NOT NULL, "content_type" character varying(64) NOT NULL, "bytes" integer NOT NULL, "characters" integer NOT NULL, "provider" character varying(32) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "used_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_speech_clips" PRIMARY KEY ("key"))`,
    );
    await queryRunner.query(`CREATE INDEX "speech_clips_used_idx" ON "speech_clips" ("used_at") `);
    // A message may now carry audio too: what the context counts is its images.
    await queryRunner.query(`ALTER TABLE "messages" RENAME COLUMN "attachment_count" TO "image_count"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" RENAME COLUMN "image_count" TO "attachment_count"`);
    await queryRunner.query(`DROP INDEX "public"."speech_clips_used_idx"`);
    await queryRunner.query(`DROP TABLE "speech_clips"`);
    await queryRunner.query(`DROP VIEW "influencer_profiles"`);
    await queryRunner.query(
      `CREATE VIEW "influencer_profiles" AS
         SELECT "id", "handle", "display_name", "avatar_url", "system_prompt", "prompt_version", "model_policy", "premium_only",
                "status" = 'active' AND "deleted_at" IS NULL AS "accepting_messages"
           FROM "influencers"`,
    );
    await queryRunner.query(`ALTER TABLE "influencers" ADD "voice_id" character varying(100)`);
    await queryRunner.query(`UPDATE "influencers" SET "voice_id" = left("voice"->>'voiceId', 100) WHERE "voice" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "influencers" DROP COLUMN "voice"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "transcript"`);
    await queryRunner.query(`ALTER TABLE "media" DROP COLUMN "duration_ms"`);
  }
}
