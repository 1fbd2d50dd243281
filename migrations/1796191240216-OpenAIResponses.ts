import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored responses of the OpenAI Responses API: each points at the Chorus exchange (conversation and reply) it made.
 * A response is claimed before its message is sent (`reply_message_id` null until then, `client_message_id` finds it
 * if its process dies); its Idempotency-Key and the response it continues are unique, which settles concurrent
 * retries and forks of a chain.
 */
export class OpenAIResponses1796191240216 implements MigrationInterface {
  name = 'OpenAIResponses1796191240216';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "openai_responses" ("id" character varying(40) NOT NULL, "user_id" uuid NOT NULL, "conversation_id" uuid NOT NULL, "reply_message_id" uuid, "model" character varying(200) NOT NULL, "instructions" text, "metadata" jsonb NOT NULL DEFAULT '{}', "temperature" real, "max_output_tokens" integer, "previous_response_id" character varying(40), "idempotency_key" character varying(64), "request_hash" character(64) NOT NULL, "client_message_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "openai_responses_successor_unique" UNIQUE ("previous_response_id"), CONSTRAINT "openai_responses_idempotency_unique" UNIQUE ("user_id", "idempotency_key"), CONSTRAINT "openai_responses_reply_unique" UNIQUE ("reply_message_id"), CONSTRAINT "PK_02fa2819c45dbf35bd3fe30bbf8" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "openai_responses_conversation_idx" ON "openai_responses"  ("conversation_id")`);
    await queryRunner.query(`ALTER TABLE "openai_responses" ADD CONSTRAINT "FK_b3b1726dde2e7dbf8a3ab56c4e4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "openai_responses" ADD CONSTRAINT "FK_6c6dcc3b39fd0016a60e26d3a46" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "openai_responses" ADD CONSTRAINT "FK_83a702e87fc7c5b6d5e6a508fcb" FOREIGN KEY ("reply_message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "openai_responses" DROP CONSTRAINT "FK_83a702e87fc7c5b6d5e6a508fcb"`);
    await queryRunner.query(`ALTER TABLE "openai_responses" DROP CONSTRAINT "FK_6c6dcc3b39fd0016a60e26d3a46"`);
    await queryRunner.query(`ALTER TABLE "openai_responses" DROP CONSTRAINT "FK_b3b1726dde2e7dbf8a3ab56c4e4"`);
    await queryRunner.query(`DROP INDEX "public"."openai_responses_conversation_idx"`);
    await queryRunner.query(`DROP TABLE "openai_responses"`);
  }
}
