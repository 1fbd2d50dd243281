import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The usage ledger, its per-period counters, quota reservations and per-user overrides. */
export class CreateUsageLedger1795325273227 implements MigrationInterface {
  name = 'CreateUsageLedger1795325273227';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "usage_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "modality" character varying(16) NOT NULL, "quantity" bigint NOT NULL, "input_tokens" integer NOT NULL DEFAULT '0', "output_tokens" integer NOT NULL DEFAULT '0', "cached_input_tokens" integer NOT NULL DEFAULT '0', "reasoning_tokens" integer NOT NULL DEFAULT '0', "cost_micros" bigint NOT NULL DEFAULT '0', "provider" character varying(32), "model" character varying(100), "conversation_id" uuid, "message_id" uuid, "request_id" character varying(128), "created_at" TIMESTAMP(3) WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "usage_events_modality_check" CHECK ("modality" IN ('chat', 'media', 'voice', 'avatar')), CONSTRAINT "PK_c9f17d50873fab2c46615f542bc" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "usage_events_created_idx" ON "usage_events"  ("created_at")`);
    await queryRunner.query(`CREATE INDEX "usage_events_user_created_idx" ON "usage_events"  ("user_id", "created_at")`);
    await queryRunner.query(`CREATE TABLE "usage_counters" ("user_id" uuid NOT NULL, "metric" character varying(40) NOT NULL, "period_start" TIMESTAMP WITH TIME ZONE NOT NULL, "used" bigint NOT NULL DEFAULT '0', "reserved" bigint NOT NULL DEFAULT '0', CONSTRAINT "PK_dee2726b69f4a0a24c5fc09838a" PRIMARY KEY ("user_id", "metric", "period_start"))`);
    await queryRunner.query(`CREATE TABLE "usage_reservations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "message_id" uuid NOT NULL, "holds" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_11d6b9b34ec31afc3a6513ca39c" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "usage_reservations_message_key" ON "usage_reservations"  ("message_id")`);
    await queryRunner.query(`CREATE INDEX "usage_reservations_expires_idx" ON "usage_reservations"  ("expires_at")`);
    await queryRunner.query(`CREATE TABLE "quota_overrides" ("user_id" uuid NOT NULL, "limits" jsonb NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ee107a074c9f8d52a6046f475fd" PRIMARY KEY ("user_id"))`);
    await queryRunner.query(`ALTER TABLE "usage_events" ADD CONSTRAINT "FK_d45449360c659b44d775b34b50d" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "usage_counters" ADD CONSTRAINT "FK_c9fa4c48ed77252ef609b6b45bd" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "usage_reservations" ADD CONSTRAINT "FK_c9b293bdb3ac538b1ecc909c6db" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "quota_overrides" ADD CONSTRAINT "FK_ee107a074c9f8d52a6046f475fd" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "quota_overrides" DROP CONSTRAINT "FK_ee107a074c9f8d52a6046f475fd"`);
    await queryRunner.query(`ALTER TABLE "usage_reservations" DROP CONSTRAINT "FK_c9b293bdb3ac538b1ecc909c6db"`);
    await queryRunner.query(`ALTER TABLE "usage_counters" DROP CONSTRAINT "FK_c9fa4c48ed77252ef609b6b45bd"`);
    await queryRunner.query(`ALTER TABLE "usage_events" DROP CONSTRAINT "FK_d45449360c659b44d775b34b50d"`);
    await queryRunner.query(`DROP TABLE "quota_overrides"`);
    await queryRunner.query(`DROP INDEX "public"."usage_reservations_expires_idx"`);
    await queryRunner.query(`DROP INDEX "public"."usage_reservations_message_key"`);
    await queryRunner.query(`DROP TABLE "usage_reservations"`);
    await queryRunner.query(`DROP TABLE "usage_counters"`);
    await queryRunner.query(`DROP INDEX "public"."usage_events_user_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."usage_events_created_idx"`);
    await queryRunner.query(`DROP TABLE "usage_events"`);
  }
}
