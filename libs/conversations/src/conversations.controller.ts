import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser, type Principal } from '#chorus/auth';
import { ApiCursorPageResponse, ApiProblems, CoreProblems, CursorPageQueryDto, ResourceIdPipe, writeServerSentEvents, type CursorPage } from '#chorus/core';
import { InfluencerProblems } from '#chorus/influencers';
import { MediaProblems } from '#chorus/media';
import { UsageProblems } from '#chorus/usage';
import { AUDIO_FORMAT_TYPES, SpeechFormatQueryDto, VoiceProblems, sendAudio } from '#chorus/voice';
import { ConversationProblems } from './conversations.errors.js';
import { ConversationsService } from './conversations.service.js';
import {
  ConversationDto,
  ConversationWithGreetingDto,
  CreateConversationDto,
  HistoryQueryDto,
  MessageDto,
  MessagePageDto,
  SendMessageDto,
  SentMessageDto,
  UpdateConversationDto,
  toConversationDto,
  toMessageDto,
} from './dto/conversation.dto.js';
import { ApiReplyStreamResponse, SSE_DESCRIPTION } from './dto/reply-events.dto.js';
import { RepliesService, type ReplyHandle } from './replies.service.js';
import { ReplyMetrics } from './reply-metrics.js';
import { ReplySpeech } from './reply-speech.js';
import { lastEventIdOf, wantsEventStream } from './sse.js';

const conversationId = new ResourceIdPipe('conversation');
const messageId = new ResourceIdPipe('message');

@ApiTags('conversations')
@ApiBearerAuth('bearer')
@ApiProblems(CoreProblems.unauthorized)
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly replies: RepliesService,
    private readonly metrics: ReplyMetrics,
    private readonly speech: ReplySpeech,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Start a conversation', description: "With an active persona; the persona's greeting is the first message." })
  @ApiCreatedResponse({ type: ConversationWithGreetingDto })
  @ApiProblems(CoreProblems.validationFailed, InfluencerProblems.notFound, UsageProblems.planRequired)
  async createConversation(@CurrentUser() caller: Principal, @Body() body: CreateConversationDto): Promise<ConversationWithGreetingDto> {
    const { conversation, greeting } = await this.conversations.create(caller, body.influencerId);
    return { ...toConversationDto(conversation), greeting: toMessageDto(greeting) };
  }

  @Get()
  @ApiOperation({ summary: 'List my conversations', description: 'Most recent activity first, with the last message and the unread count.' })
  @ApiCursorPageResponse(ConversationDto)
  @ApiProblems(CoreProblems.validationFailed)
  async listConversations(@CurrentUser() caller: Principal, @Query() query: CursorPageQueryDto): Promise<CursorPage<ConversationDto>> {
    const page = await this.conversations.list(caller.userId, query.limit, query.cursor);
    return { items: page.items.map(toConversationDto), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a conversation' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ConversationDto })
  @ApiProblems(CoreProblems.notFound)
  async getConversation(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string): Promise<ConversationDto> {
    return toConversationDto(await this.conversations.get(caller.userId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a conversation' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ConversationDto })
  @ApiProblems(CoreProblems.validationFailed, CoreProblems.notFound)
  async updateConversation(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string, @Body() body: UpdateConversationDto): Promise<ConversationDto> {
    return toConversationDto(await this.conversations.rename(caller.userId, id, body.title));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete a conversation', description: 'With all its messages.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(CoreProblems.notFound)
  async deleteConversation(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string): Promise<void> {
    await this.conversations.remove(caller.userId, id);
  }

  @Post(':id/read')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Mark a conversation read', description: 'Sets its unread count to zero.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ConversationDto })
  @ApiProblems(CoreProblems.notFound)
  async markConversationRead(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string): Promise<ConversationDto> {
    return toConversationDto(await this.conversations.markRead(caller.userId, id));
  }

  @Get(':id/messages')
  @ApiOperation({ summary: 'Read the history', description: 'Oldest first within a page; the newest page by default, `before`/`after` to move.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MessagePageDto })
  @ApiProblems(CoreProblems.validationFailed, CoreProblems.notFound)
  async listMessages(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string, @Query() query: HistoryQueryDto): Promise<MessagePageDto> {
    const page = await this.conversations.history(caller, id, query);
    return { items: page.items.map(toMessageDto), olderCursor: page.olderCursor, newerCursor: page.newerCursor };
  }

  @Post(':id/messages')
  @ApiOperation({
    summary: 'Send a message and get the reply',
    description:
      'With `Accept: text/event-stream` the reply streams as server-sent events; otherwise the answer comes when the reply is done. ' +
      'Retrying with the same `clientMessageId` returns the same messages and never generates twice. A client that disconnects ' +
      'does not stop the reply: it is saved, and GET .../stream resumes it. `attachments` sends your uploads (images) with the ' +
      'message, to a persona whose model reads images; a persona with a gallery may send photos in its reply (`reply.media`). ' +
      '`audio` sends a voice message (transcribed), and `speak` has the reply spoken as it streams (`reply.audio`). ' +
      SSE_DESCRIPTION,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiReplyStreamResponse(SentMessageDto)
  @ApiProblems(
    CoreProblems.validationFailed,
    CoreProblems.notFound,
    ConversationProblems.personaUnavailable,
    ConversationProblems.modelNotMultimodal,
    MediaProblems.notReady,
    MediaProblems.alreadyAttached,
    MediaProblems.rejected,
    MediaProblems.tooManyAttachments,
    MediaProblems.attachmentsTooLarge,
    MediaProblems.notAudio,
    VoiceProblems.sttUnavailable,
    VoiceProblems.sttFailed,
    VoiceProblems.nothingHeard,
    UsageProblems.quotaExceeded,
    UsageProblems.planRequired,
  )
  async sendMessage(
    @CurrentUser() caller: Principal,
    @Param('id', conversationId) id: string,
    @Body() body: SendMessageDto,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const handle = await this.replies.send(caller.userId, id, body.content ?? '', body.clientMessageId, body.attachments, { offerMedia: true, audio: body.audio, speak: body.speak });
    await this.answer(caller, request, response, handle);
  }

  @Get(':id/messages/:messageId/stream')
  @ApiOperation({
    summary: 'Resume a reply stream',
    description: 'Replays the events after `Last-Event-ID` and follows the live reply; a finished reply returns its final events at once. ' + SSE_DESCRIPTION,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The reply (assistant message).' })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The id of the last event received.' })
  @ApiReplyStreamResponse()
  @ApiProblems(CoreProblems.notFound, ConversationProblems.replyInProgress)
  async streamReply(
    @CurrentUser() caller: Principal,
    @Param('id', conversationId) id: string,
    @Param('messageId', messageId) replyId: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const events = await this.replies.events(caller, id, replyId, lastEventIdOf(request));
    this.metrics.streamOpened(response);
    await writeServerSentEvents(response, events);
  }

  @Post(':id/messages/:messageId/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Stop a reply',
    description: 'Closes the provider connection (so generation and billing stop) and saves the partial reply as `cancelled`. A finished reply is returned as it is.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The reply (assistant message).' })
  @ApiOkResponse({ type: MessageDto })
  @ApiProblems(CoreProblems.notFound)
  async cancelReply(@CurrentUser() caller: Principal, @Param('id', conversationId) id: string, @Param('messageId', messageId) replyId: string): Promise<MessageDto> {
    return toMessageDto(await this.replies.cancel(caller, id, replyId));
  }

  @Get(':id/messages/:messageId/audio')
  @ApiOperation({
    summary: 'Hear a reply',
    description:
      "The reply spoken whole in its persona's voice (GET /voices lists the providers and their formats). Kept by its text, voice and " +
      'format: the first request synthesises it (its characters count against `voice.ttsCharactersPerMonth`), a replay costs nothing.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The reply (assistant message).' })
  @ApiProduces(...new Set(Object.values(AUDIO_FORMAT_TYPES)))
  @ApiOkResponse({ description: 'The audio.', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(
    CoreProblems.notFound,
    CoreProblems.validationFailed,
    ConversationProblems.replyInProgress,
    ConversationProblems.nothingToSpeak,
    VoiceProblems.formatUnavailable,
    VoiceProblems.speechTooLong,
    VoiceProblems.ttsUnavailable,
    VoiceProblems.ttsFailed,
    UsageProblems.quotaExceeded,
  )
  async getReplyAudio(
    @CurrentUser() caller: Principal,
    @Param('id', conversationId) id: string,
    @Param('messageId', messageId) replyId: string,
    @Query() query: SpeechFormatQueryDto,
    @Res() response: Response,
  ): Promise<void> {
    const speech = await this.speech.audio(caller, id, replyId, query.format);
    response.setHeader('X-Speech-Cached', String(speech.cached));
    sendAudio(response, speech);
  }

  @Post(':id/messages/:messageId/regenerate')
  @ApiOperation({
    summary: 'Regenerate a reply',
    description:
      'A new reply to the same user message. The earlier reply stays in the history (same `replyToId`) as an alternative; ' +
      'later replies are generated from the newest one. Streams like sending a message. ' + SSE_DESCRIPTION,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'messageId', format: 'uuid', description: 'The reply to regenerate.' })
  @ApiReplyStreamResponse(SentMessageDto)
  @ApiProblems(CoreProblems.notFound, ConversationProblems.replyInProgress, ConversationProblems.personaUnavailable, UsageProblems.quotaExceeded, UsageProblems.planRequired)
  async regenerateReply(
    @CurrentUser() caller: Principal,
    @Param('id', conversationId) id: string,
    @Param('messageId', messageId) replyId: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.answer(caller, request, response, await this.replies.regenerate(caller.userId, id, replyId));
  }

  /** The event stream when asked for one, or the finished pair as JSON. */
  private async answer(caller: Principal, request: Request, response: Response, handle: ReplyHandle): Promise<void> {
    // So that clients can show a meter; unlimited meters send no header.
    if (handle.quota?.messagesRemainingToday != null) response.setHeader('X-Quota-Messages-Remaining', handle.quota.messagesRemainingToday);
    if (handle.quota?.tokensRemainingThisMonth != null) response.setHeader('X-Quota-Tokens-Remaining', handle.quota.tokensRemainingThisMonth);
    if (wantsEventStream(request)) {
      const events = await this.replies.startedEvents(caller, handle);
      this.metrics.streamOpened(response);
      await writeServerSentEvents(response, events);
      return;
    }
    const reply = await this.replies.finishedReply(caller, handle);
    const body: SentMessageDto = { message: toMessageDto(handle.userMessage), reply: toMessageDto(reply) };
    response.status(HttpStatus.OK).json(body);
  }
}
