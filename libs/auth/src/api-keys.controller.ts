import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems, CoreProblems, ResourceIdPipe } from '#chorus/core';
import { ApiKeysService } from './api-keys.service.js';
import { AuthProblems } from './auth.errors.js';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto.js';
import { CurrentUser } from './guards/auth.decorators.js';
import type { Principal } from './principal.js';

@ApiTags('api-keys')
@ApiBearerAuth('bearer')
@ApiProblems(AuthProblems.authenticationRequired)
@Controller('me/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description: 'The key (`chorus_sk_...`) is in the response this once; only its hash is kept. Use it as `Authorization: Bearer <key>`.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiProblems(CoreProblems.validationFailed, AuthProblems.apiKeyLimit)
  async createApiKey(@CurrentUser() principal: Principal, @Body() body: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { key, secret } = await this.apiKeys.create(principal.userId, body.name, body.expiresAt);
    return { ...toApiKeyDto(key), secret };
  }

  @Get()
  @ApiOperation({ summary: 'List my API keys', description: 'Newest first; shows each key\'s prefix, never the key.' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async listApiKeys(@CurrentUser() principal: Principal): Promise<ApiKeyDto[]> {
    return (await this.apiKeys.list(principal.userId)).map(toApiKeyDto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an API key', description: "It stops working on the next request. Another user's key is not found." })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(CoreProblems.notFound)
  async deleteApiKey(@CurrentUser() principal: Principal, @Param('id', new ResourceIdPipe('API key')) id: string): Promise<void> {
    await this.apiKeys.delete(principal.userId, id);
  }
}
