import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the one-statement chat turn needs.
 *
 * Views through which a lib reads another lib's tables (their owner keeps them stable):
 * - `influencer_profiles` (influencers lib): what a conversation shows and generates with.
 * - `user_standings` (auth lib): the plan and role in force.
 * - `user_quota_overrides` (usage lib): the admin's per-user limits.
 * - `persona_user_messages` (conversations lib): when users wrote to which persona (trending).
 *
 * Indexes: replies by the message they answer (history and retries look them up), and at most
 * one of them streaming at a time (of two regenerates at once, one is refused).
 *
 * `usage_refuse_chat(metric)` (usage lib) raises `quota_exceeded` (SQLSTATE P0001, the metric in
 * DETAIL), which aborts the whole statement, so nothing of a refused send is stored.
 */
export class ChatTurnStatements1796091191009 implements MigrationInterface {
  name = 'ChatTurnStatements1796091191009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "messages_reply_to_idx" ON "messages" ("reply_to_id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "messages_one_streaming_reply_idx" ON "messages" ("reply_to_id") WHERE "status" = 'streaming'`);
    await queryRunner.query(
      `CREATE VIEW "influencer_profiles" AS
         SELECT "id", "handle", "display_name", "avatar_url", "system_prompt", "prompt_version", "model_policy", "premium_only",
                "status" = 'active' AND "deleted_at" IS NULL AS "accepting_messages"
           FROM "influencers"`,
    );
    await queryRunner.query(`CREATE VIEW "user_standings" AS SELECT "id" AS "user_id", "plan", "role" FROM "users"`);
    await queryRunner.query(`CREATE VIEW "user_quota_overrides" AS SELECT "user_id", "limits" FROM "quota_overrides"`);
    await queryRunner.query(
      `CREATE VIEW "persona_user_messages" AS
         SELECT c."influencer_id", m."created_at" FROM "messages" m JOIN "conversations" c ON c."id" = m."conversation_id" WHERE m."role" = 'user'`,
    );
    await queryRunner.query(
      `CREATE FUNCTION "usage_refuse_chat"(metric text) RETURNS integer LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'quota_exceeded' USING ERRCODE = 'P0001', DETAIL = metric;
       END
       $$`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "usage_refuse_chat"(text)`);
    await queryRunner.query(`DROP VIEW "persona_user_messages"`);
    await queryRunner.query(`DROP VIEW "user_quota_overrides"`);
    await queryRunner.query(`DROP VIEW "user_standings"`);
    await queryRunner.query(`DROP VIEW "influencer_profiles"`);
    await queryRunner.query(`DROP INDEX "public"."messages_one_streaming_reply_idx"`);
    await queryRunner.query(`DROP INDEX "public"."messages_reply_to_idx"`);
  }
}
