import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { resolveJwtSecret } from '#chorus/auth';
import type { AppConfig } from '#chorus/core';

/**
 * The API's own short-lived URLs of stored objects, for the local store (S3 presigns its own): the
 * expiry and an HMAC of what the URL names are the credential. The key is derived from the token
 * secret and the URLs' purpose, so every process of a deployment shares it and no two purposes
 * accept each other's signatures.
 */
export class UrlSigner {
  private readonly key: Buffer;

  constructor(config: AppConfig, purpose: string) {
    this.key = createHmac('sha256', resolveJwtSecret(config)).update(purpose).digest();
  }

  /** The query of a URL naming `subject` until `expiresAt`. */
  urlQuery(subject: string, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    return `expires=${expires}&signature=${this.signature(subject, expires)}`;
  }

  /** Whether `signature` was made for `subject` and `expires`, and `expires` has not passed. */
  verify(subject: string, expires: number, signature: string): boolean {
    const expected = Buffer.from(this.signature(subject, expires));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given) && expires * 1000 >= Date.now();
  }

  private signature(subject: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${subject}:${expires}`).digest('base64url');
  }
}

/** The query of a URL UrlSigner made. */
export class SignedUrlQueryDto {
  @ApiProperty({ description: 'Unix seconds after which the URL stops working.' })
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(99_999_999_999)
  expires!: number;

  @ApiProperty()
  @IsString()
  signature!: string;
}
