import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '#chorus/core';
import { AccessTokens, resolveJwtSecret } from './access-tokens.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { Authenticator } from './authenticator.js';
import { FirstAdminBootstrap } from './first-admin.js';
import { AuthGuard } from './guards/auth.guard.js';
import { MeController } from './me.controller.js';
import { PasswordHasher } from './password-hasher.js';
import { RevocationList } from './revocation-list.js';
import { RevocationsRepository } from './revocations.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { AccessTokenStrategy } from './strategies/access-token.strategy.js';
import { ApiKeyStrategy } from './strategies/api-key.strategy.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

/**
 * Accounts, sign-in, sessions, API keys, the Passport strategies that check credentials and the
 * global auth guard. Global: every module may ask who is calling.
 */
@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        // A key object made once: given the secret as a string, jsonwebtoken builds one per token it verifies.
        const key = createSecretKey(Buffer.from(resolveJwtSecret(config), 'utf8'));
        return { privateKey: key, publicKey: key };
      },
    }),
  ],
  controllers: [AuthController, MeController, ApiKeysController, AdminUsersController],
  providers: [
    AccessTokens,
    AccessTokenStrategy,
    ApiKeysService,
    ApiKeyStrategy,
    AuthService,
    Authenticator,
    FirstAdminBootstrap,
    PasswordHasher,
    RevocationList,
    SessionsService,
    UsersService,
    // Queries only, for this module's services: other modules go through the services.
    ApiKeysRepository,
    RevocationsRepository,
    SessionsRepository,
    UsersRepository,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [UsersService, Authenticator, RevocationList],
})
export class AuthModule {}
