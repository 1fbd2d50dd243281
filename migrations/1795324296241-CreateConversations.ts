import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Conversations and their messages. */
export class CreateConversations1795324296241 implements MigrationInterface {
  name = 'CreateConversations1795324296241';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "conversations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "influencer_id" uuid NOT NULL, "title" character varying(120), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_message_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL, "last_read_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "conversations_user_activity_idx" ON "conversations"  ("user_id", "last_message_at", "id")`);
    await queryRunner.query(`CREATE TABLE "messages" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "position" BIGSERIAL NOT NULL, "conversation_id" uuid NOT NULL, "role" character varying(16) NOT NULL, "content" text NOT NULL, "status" character varying(16) NOT NULL, "client_message_id" character varying(64), "reply_to_id" uuid, "provider" character varying(32), "model" character varying(100), "prompt_version" integer, "input_tokens" integer, "output_tokens" integer, "cached_input_tokens" integer, "reasoning_tokens" integer, "first_token_ms" integer, "finish_reason" character varying(32), "error_code" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "messages_client_message_key" UNIQUE ("conversation_id", "client_message_id"), CONSTRAINT "messages_status_check" CHECK ("status" IN ('streaming', 'completed', 'cancelled', 'failed')), CONSTRAINT "messages_role_check" CHECK ("role" IN ('user', 'assistant')), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "messages_conversation_position_idx" ON "messages"  ("conversation_id", "position")`);
    await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_3a9ae579e61e81cc0e989afeb4a" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_0b21a6448bcb47f8d53e8f5e2d2" FOREIGN KEY ("influencer_id") REFERENCES "influencers"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "messages" DROP CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_0b21a6448bcb47f8d53e8f5e2d2"`);
    await queryRunner.query(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_3a9ae579e61e81cc0e989afeb4a"`);
    await queryRunner.query(`DROP INDEX "public"."messages_conversation_position_idx"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP INDEX "public"."conversations_user_activity_idx"`);
    await queryRunner.query(`DROP TABLE "conversations"`);
  }
}
