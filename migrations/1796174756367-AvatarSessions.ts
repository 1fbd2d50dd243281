import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Streaming avatars: a persona's avatar becomes a setting (provider, avatar, quality, language) in
 * place of a bare id; sessions are kept in `avatar_sessions`, from the start the server asks for
 * to the stop the provider confirms.
 */
export class AvatarSessions1796174756367 implements MigrationInterface {
  name = 'AvatarSessions1796174756367';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "influencers" ADD "avatar" jsonb`);
    await queryRunner.query(`UPDATE "influencers" SET "avatar" = jsonb_build_object('avatarId', "avatar_id") WHERE "avatar_id" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "influencers" DROP COLUMN "avatar_id"`);
    await queryRunner.query(`CREATE TABLE "avatar_sessions" ("id" uuid NOT NULL, "user_id" uuid, "influencer_id" uuid NOT NULL, "conversation_id" uuid, "provider" character varying(32) NOT NULL, "avatar_id" character varying(100) NOT NULL, "provider_session_id" character varying(200), "status" character varying(16) NOT NULL, "reserved_seconds" integer NOT NULL, "limited_by_quota" boolean NOT NULL DEFAULT false, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "last_keep_alive_at" TIMESTAMP WITH TIME ZONE, "stopped_at" TIMESTAMP WITH TIME ZONE, "stop_reason" character varying(16), "billed_seconds" integer, "provider_stopped_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "avatar_sessions_status_check" CHECK ("status" IN ('starting', 'active', 'stopped', 'expired', 'failed')), CONSTRAINT "PK_a1dfc502e15eac3406982bf1b6f" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "avatar_sessions_provider_stop_idx" ON "avatar_sessions"  ("stopped_at") WHERE "provider_session_id" IS NOT NULL AND "provider_stopped_at" IS NULL AND "stopped_at" IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX "avatar_sessions_open_idx" ON "avatar_sessions"  ("status") WHERE "status" IN ('starting', 'active')`);
    await queryRunner.query(`CREATE INDEX "avatar_sessions_user_idx" ON "avatar_sessions"  ("user_id", "created_at")`);
    // A deleted account's sessions stay, without their user, until the sweeper has stopped them at the provider.
    await queryRunner.query(
      `ALTER TABLE "avatar_sessions" ADD CONSTRAINT "FK_f3163de7474da876528aa02b024" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "avatar_sessions" DROP CONSTRAINT "FK_f3163de7474da876528aa02b024"`);
    await queryRunner.query(`DROP INDEX "public"."avatar_sessions_user_idx"`);
    await queryRunner.query(`DROP INDEX "public"."avatar_sessions_open_idx"`);
    await queryRunner.query(`DROP INDEX "public"."avatar_sessions_provider_stop_idx"`);
    await queryRunner.query(`DROP TABLE "avatar_sessions"`);
    await queryRunner.query(`ALTER TABLE "influencers" ADD "avatar_id" character varying(100)`);
    await queryRunner.query(`UPDATE "influencers" SET "avatar_id" = left("avatar"->>'avatarId', 100) WHERE "avatar" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "influencers" DROP COLUMN "avatar"`);
  }
}
