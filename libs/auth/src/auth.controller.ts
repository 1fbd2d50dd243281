import { Body, Controller, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiProblems, CoreProblems, Public } from '#chorus/core';
import { AuthProblems } from './auth.errors.js';
import { AuthService, type IssuedTokens } from './auth.service.js';
import { clientInfoOf } from './client-info.js';
import { AuthResultDto, LoginDto, LogoutAllDto, RefreshDto, RegisterDto, TokensDto } from './dto/auth.dto.js';
import { toUserDto } from './dto/user.dto.js';
import { CurrentUser } from './guards/auth.decorators.js';
import type { Principal } from './principal.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiOperation({
    summary: 'Create an account',
    description: 'Creates a user on the default plan and signs them in. Limited per client IP (AUTH_REGISTER_LIMIT_PER_IP).',
  })
  @ApiCreatedResponse({ type: AuthResultDto })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.registrationDisabled, AuthProblems.emailTaken)
  async register(@Body() body: RegisterDto, @Req() request: Request): Promise<AuthResultDto> {
    const result = await this.auth.register(body, clientInfoOf(request));
    return { user: toUserDto(result.user), tokens: toTokensDto(result.tokens) };
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign in',
    description:
      'Returns a short-lived access token and a refresh token. Wrong passwords and unknown emails get the same answer. ' +
      'Limited per client IP, and per email from one client IP (AUTH_LOGIN_LIMIT_PER_IP, AUTH_LOGIN_LIMIT_PER_EMAIL): ' +
      'failed guesses from elsewhere never lock the owner out.',
  })
  @ApiOkResponse({ type: AuthResultDto })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.invalidCredentials, AuthProblems.accountBanned)
  async login(@Body() body: LoginDto, @Req() request: Request): Promise<AuthResultDto> {
    const result = await this.auth.login(body, clientInfoOf(request));
    return { user: toUserDto(result.user), tokens: toTokensDto(result.tokens) };
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Exchange a refresh token for new tokens',
    description:
      'Each refresh token works once and is replaced by the one returned. Presenting a used one again ends the whole ' +
      'session (its newest token too) and answers 401 `refresh_token_reused`.',
  })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.invalidRefreshToken, AuthProblems.refreshTokenReused)
  async refreshTokens(@Body() body: RefreshDto, @Req() request: Request): Promise<TokensDto> {
    return toTokensDto(await this.auth.refresh(body.refreshToken, clientInfoOf(request)));
  }

  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({ summary: 'Sign out of this session', description: 'Ends the session of the access token used; its tokens stop working at once.' })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiProblems(AuthProblems.authenticationRequired, AuthProblems.notASession)
  async logout(@CurrentUser() principal: Principal): Promise<void> {
    await this.auth.logout(principal);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Sign out everywhere',
    description:
      'Ends every session of the caller, this one included. API keys keep working unless the body asks ' +
      '`{"revokeApiKeys": true}`; the body is optional.',
  })
  @ApiBody({ type: LogoutAllDto, required: false })
  @ApiNoContentResponse({ description: 'Signed out of every session.' })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.authenticationRequired)
  async logoutAll(@CurrentUser() principal: Principal, @Body() body: LogoutAllDto = {}): Promise<void> {
    await this.auth.logoutEverywhere(principal, body.revokeApiKeys);
  }
}

function toTokensDto(tokens: IssuedTokens): TokensDto {
  return { tokenType: 'Bearer', ...tokens };
}
