import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The persona catalogue and every version of each persona's system prompt. */
export class CreatePersonas1795324226093 implements MigrationInterface {
  name = 'CreatePersonas1795324226093';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "influencers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "handle" character varying(40) NOT NULL, "display_name" character varying(80) NOT NULL, "avatar_url" character varying(2048), "bio" text NOT NULL DEFAULT '', "category" character varying(40) NOT NULL, "traits" jsonb NOT NULL DEFAULT '[]', "system_prompt" text NOT NULL, "prompt_version" integer NOT NULL DEFAULT '1', "greeting" text NOT NULL, "suggested_openers" jsonb NOT NULL DEFAULT '[]', "status" character varying(16) NOT NULL DEFAULT 'active', "nsfw" boolean NOT NULL DEFAULT false, "premium_only" boolean NOT NULL DEFAULT false, "model_policy" jsonb NOT NULL, "voice_id" character varying(100), "avatar_id" character varying(100), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "deleted_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "influencers_status_check" CHECK ("status" IN ('active', 'coming_soon', 'discontinued')), CONSTRAINT "PK_a5bbdc11f7898f2a695208b337a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "influencers_handle_key" ON "influencers"  ("handle")`);
    await queryRunner.query(`CREATE TABLE "influencer_prompts" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "influencer_id" uuid NOT NULL, "version" integer NOT NULL, "system_prompt" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "influencer_prompts_version_key" UNIQUE ("influencer_id", "version"), CONSTRAINT "PK_6719d2cab3f01f99aa724845360" PRIMARY KEY ("id"))`);
    await queryRunner.query(`ALTER TABLE "influencer_prompts" ADD CONSTRAINT "FK_fe5948f9c36b0d326dd505ac265" FOREIGN KEY ("influencer_id") REFERENCES "influencers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "influencer_prompts" DROP CONSTRAINT "FK_fe5948f9c36b0d326dd505ac265"`);
    await queryRunner.query(`DROP TABLE "influencer_prompts"`);
    await queryRunner.query(`DROP INDEX "public"."influencers_handle_key"`);
    await queryRunner.query(`DROP TABLE "influencers"`);
  }
}
