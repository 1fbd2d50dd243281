import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Uploaded media: who owns it, what it is (by its bytes), where its bytes are, and whether it may be shown. */
export class CreateMedia1796105044140 implements MigrationInterface {
  name = 'CreateMedia1796105044140';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "media" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "owner_user_id" uuid NOT NULL, "status" character varying(16) NOT NULL,
        "content_type" character varying(64), "filename" character varying(255), "bytes" bigint, "width" integer, "height" integer,
        "checksum" character varying(64), "storage_key" character varying(512) NOT NULL, "thumbnail_key" character varying(512),
        "rejection_code" character varying(64), "rejection_detail" text,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "media_status_check" CHECK ("status" IN ('processing', 'ready', 'rejected')),
        CONSTRAINT "PK_media_id" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "media_owner_created_idx" ON "media" ("owner_user_id", "created_at")`);
    await queryRunner.query(`CREATE INDEX "media_processing_idx" ON "media" ("created_at") WHERE "status" = 'processing'`);
    await queryRunner.query(
      `ALTER TABLE "media" ADD CONSTRAINT "FK_b977b7dbc37fd0ad4a7563a7ca2" FOREIGN KEY ("owner_user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "media"`);
  }
}
