import { randomBytes } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { InjectConfig, type AppConfig } from '#chorus/core';

export const PASSWORD_MIN_LENGTH = 8;
/** Bounds the work one login can cost the server. */
export const PASSWORD_MAX_LENGTH = 128;

/** argon2id with the parameters from configuration (OWASP's 19 MiB, 2 passes, 1 lane by default). */
@Injectable()
export class PasswordHasher implements OnModuleInit {
  private readonly options: argon2.HashOptions & { raw?: false };
  /** Verified against when the email is unknown, so that both cases take the same time. */
  private decoyHash = '';

  constructor(@InjectConfig() config: AppConfig) {
    const { memoryKib, iterations, parallelism } = config.auth.argon2;
    this.options = { type: argon2.argon2id, memoryCost: memoryKib, timeCost: iterations, parallelism };
  }

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.hash(randomBytes(16).toString('hex'));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** Constant-time check; with no hash (unknown user) it spends the same time and answers false. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const matches = await argon2.verify(hash ?? this.decoyHash, password);
    return hash !== undefined && matches;
  }

  /** True when the hash was made with other parameters than today's, so it should be redone. */
  needsRehash(hash: string): boolean {
    return argon2.needsRehash(hash, this.options);
  }
}
