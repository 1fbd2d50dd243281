import { LiveAvatarSession } from './avatar-session.js';
import { ChorusApiError } from './errors.js';
import { createClient, createConfig, type Client } from './generated/client/index.js';
import { ChorusApi } from './generated/sdk.gen.js';
import type { AuthResultDto, LoginDto, MediaDto, RegisterDto, SendMessageData, StreamInboxData, StreamReplyData } from './generated/types.gen.js';
import type { ReconnectOptions } from './event-stream.js';
import { InboxStream } from './inbox-stream.js';
import { ReplyStream, type ReplyEvent, type StreamPosition } from './reply-stream.js';
import { Session, type ChorusCredentials, type TokensListener } from './session.js';

export interface ChorusClientOptions {
  /** Where the server is, without the API prefix: `https://chorus.example.com`. */
  readonly baseUrl: string;
  /** A signed-in user's tokens (refreshed automatically when a refresh token is given), or an API key. */
  readonly credentials?: ChorusCredentials;
  /** Called with each new token pair, to store the rotated refresh token (each one works once). */
  readonly onTokens?: TokensListener;
  /** Headers sent with every request (e.g. `X-Request-Id`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A fetch implementation (default: the platform's). */
  readonly fetch?: typeof fetch;
  /** How streamed replies and the inbox reconnect after a dropped connection. */
  readonly reconnect?: ReconnectOptions;
}

export interface SendMessageInput {
  /** What you typed; empty or omitted with `audio`. */
  readonly content?: string;
  /** Your id for the message: sending it again never generates a second reply (default: a new UUID). */
  readonly clientMessageId?: string;
  /** Ids of your ready uploads (see `uploadMedia`), shown to the persona's model with the message. */
  readonly attachments?: readonly string[];
  /** A voice message: the id of your audio upload (see `uploadMedia`, or `sendVoiceMessage` for both steps); its transcript is the message. */
  readonly audio?: string;
  /** Speak the reply as it streams: `reply.audio` events, whose clips `speechOf` fetches. */
  readonly speak?: boolean;
}

export interface VoiceMessageOptions extends StreamOptions {
  /** Speak the reply as it streams (`reply.audio` events). */
  readonly speak?: boolean;
  /** Your id for the message (default: a new UUID): sending it again never generates a second reply. */
  readonly clientMessageId?: string;
  /** The recording's file name (default: the File's own, or `voice`). */
  readonly filename?: string;
}

/** A sentence of a spoken reply, in order, with its audio. */
export interface SpokenSentence {
  readonly index: number;
  readonly text: string;
  readonly audio: Blob;
}

export interface UploadMediaOptions {
  /** The file's name, for display (default: the File's own, if it has one). */
  readonly filename?: string;
  /** The persona the image is meant for: its moderation policy judges it. */
  readonly influencerId?: string;
  /** How long to wait for the image to be cleaned (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface AvatarSessionOptions {
  /** One of my conversations with the persona, whose replies the avatar will speak. */
  readonly conversationId?: string;
  /** How often keep-alives are sent (default 30 s; the server stops a session after AVATAR_IDLE_TIMEOUT_SECONDS without one). */
  readonly keepAliveMs?: number;
}

export interface StreamOptions {
  /** Aborting stops listening (the reply itself goes on). */
  readonly signal?: AbortSignal;
}

export interface InboxOptions {
  /** Aborting stops listening: the loop then throws the signal's reason (an AbortError), where `close()` ends it quietly. */
  readonly signal?: AbortSignal;
  /** The id of the last event received before (`InboxStream.lastEventId`): the events kept since are replayed first. Without it, only new events come. */
  readonly lastEventId?: string;
}

/**
 * A Chorus API client: every operation of the OpenAPI document under `api`, sharing one
 * authentication (with automatic token refresh), plus streamed replies and the user's inbox, which
 * resume by themselves.
 * Failures throw ChorusApiError.
 */
export class ChorusClient {
  /** Every API operation, generated from the OpenAPI document: `await chorus.api.getMe()`. */
  readonly api: ChorusApi;
  /** The underlying fetch client (interceptors, `buildUrl`), shared by `api`. */
  readonly client: Client;
  private readonly session: Session;
  private readonly reconnect: ReconnectOptions;
  private readonly baseUrl: string;
  /** Fetch without the session: for signed URLs, whose signature is their credential. */
  private readonly send: typeof fetch;

  constructor(options: ChorusClientOptions) {
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    const send: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.baseUrl = baseUrl;
    this.send = send;
    // The refresh call goes around the session's fetch, so an expired token cannot loop.
    const unauthenticated = new ChorusApi({ client: apiClient(baseUrl, send, options.headers) });
    this.session = new Session(
      send,
      (refreshToken) => unauthenticated.refreshTokens({ body: { refreshToken } }),
      options.credentials,
      options.onTokens,
    );
    this.client = apiClient(baseUrl, this.session.fetch, options.headers, () => this.session.token());
    this.api = new ChorusApi({ client: this.client });
    this.reconnect = options.reconnect ?? {};
  }

  /** The credentials in use (after a refresh, the new tokens). */
  get credentials(): ChorusCredentials | undefined {
    return this.session.credentials;
  }

  /** Replaces the credentials: tokens from elsewhere, an API key, or `undefined` to sign out locally. */
  setCredentials(credentials: ChorusCredentials | undefined): void {
    this.session.credentials = credentials;
  }

  /** Creates an account and signs this client in with it. */
  async register(body: RegisterDto): Promise<AuthResultDto> {
    const result = await this.api.register({ body });
    await this.session.signedIn(result.tokens);
    return result;
  }

  /** Signs this client in. */
  async login(body: LoginDto): Promise<AuthResultDto> {
    const result = await this.api.login({ body });
    await this.session.signedIn(result.tokens);
    return result;
  }

  /**
   * Sends a message and streams the reply as typed events:
   * `for await (const event of chorus.sendMessageStream(id, { content })) ...`.
   * A dropped connection is resumed without repeating events.
   */
  sendMessageStream(conversationId: string, message: SendMessageInput, options: StreamOptions = {}): ReplyStream {
    const body = {
      content: message.content ?? '',
      clientMessageId: message.clientMessageId ?? globalThis.crypto.randomUUID(),
      ...(message.attachments ? { attachments: [...message.attachments] } : {}),
      ...(message.audio ? { audio: message.audio } : {}),
      ...(message.speak ? { speak: true } : {}),
    };
    const url: SendMessageData['url'] = '/api/v1/conversations/{id}/messages';
    return new ReplyStream(
      (position, signal) =>
        position.replyId === undefined
          ? // Before the reply's id is known, sending again with the same clientMessageId is the resume.
            this.openEventStream(this.client.post<unknown, unknown, true, 'fields'>({ ...streamRequest(signal), url, path: { id: conversationId }, body }))
          : this.resumeFrom(conversationId, position, signal),
      { ...this.reconnect, signal: options.signal },
    );
  }

  /**
   * Uploads an image and waits until the server has cleaned it: answers it `ready` (with its
   * URLs), to send with `sendMessageStream(id, { content, attachments: [media.id] })`. Throws a
   * ChorusApiError when it is refused (415, 413, 429), and an Error naming the reason when it is
   * `rejected` after processing (unreadable, too many pixels, flagged by moderation).
   */
  async uploadMedia(file: Blob, options: UploadMediaOptions = {}): Promise<MediaDto> {
    const named = new File([file], options.filename ?? (file as Partial<File>).name ?? 'upload', { type: file.type });
    // The server reads fields before the file only: `influencerId` goes first.
    const body = { ...(options.influencerId ? { influencerId: options.influencerId } : {}), file: named };
    const accepted = await this.api.uploadMedia({ body, signal: options.signal });
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let media = accepted;
    // Cleaning takes a moment: polled, gently (the inbox's `media.status` tells it too).
    for (let wait = 100; media.status === 'processing' || media.status === 'pending'; wait = Math.min(wait * 2, 2_000)) {
      if (Date.now() + wait > deadline) throw new Error(`Media ${media.id} was still ${media.status} after ${options.timeoutMs ?? 60_000} ms.`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      options.signal?.throwIfAborted();
      media = await this.api.getMedia({ path: { id: media.id }, signal: options.signal });
    }
    if (media.status === 'rejected') throw new Error(`Media ${media.id} was rejected: ${media.rejection?.detail ?? media.rejection?.code ?? 'no reason given'}.`);
    return media;
  }

  /**
   * Sends a recording as a voice message and streams the reply: the audio is uploaded (checked
   * and measured by the server), then sent; the server transcribes it, and the transcript is the
   * message (`message` event). Throws ChorusApiError when the upload or the send is refused
   * (415 not audio, 422 `audio_too_long`, 429, 503 `stt_unavailable`...). With `speak`, the
   * reply's sentences come as `reply.audio` events too (see `speechOf`).
   */
  async sendVoiceMessage(conversationId: string, recording: Blob, options: VoiceMessageOptions = {}): Promise<ReplyStream> {
    const audio = await this.uploadMedia(recording, { filename: options.filename ?? (recording as Partial<File>).name ?? 'voice', signal: options.signal });
    return this.sendMessageStream(conversationId, { audio: audio.id, speak: options.speak, clientMessageId: options.clientMessageId }, { signal: options.signal });
  }

  /**
   * The spoken sentences of a reply's events, in order, each with its audio fetched, to play one
   * after the other while the text streams:
   * `for await (const sentence of chorus.speechOf(chorus.sendMessageStream(id, { content, speak: true }))) play(sentence.audio)`.
   * The other events are passed over; a `reply.audio.failed` event ends it with an Error naming why.
   */
  async *speechOf(events: AsyncIterable<ReplyEvent>, options: StreamOptions = {}): AsyncIterable<SpokenSentence> {
    for await (const event of events) {
      if (event.type === 'reply.audio.failed') throw new Error(`The reply is not spoken any further: ${event.data.detail} (${event.data.code}).`);
      if (event.type !== 'reply.audio') continue;
      yield { index: event.data.index, text: event.data.text, audio: await this.fetchSpeech(event.data.url, options.signal) };
    }
  }

  /**
   * Starts a live session with a persona's avatar and keeps it alive until `stop()`: join its room
   * with `session.join` (a LiveKit client), then make the avatar speak each reply with
   * `avatarSpeechOf(chorus.sendMessageStream(...))` (see the README). Throws ChorusApiError when
   * refused (409 `avatar_session_limit`, 429 `quota_exceeded`, 403 `plan_required`...).
   */
  async startAvatarSession(influencerId: string, options: AvatarSessionOptions = {}): Promise<LiveAvatarSession> {
    const started = await this.api.startAvatarSession({ body: { influencerId, conversationId: options.conversationId } });
    return new LiveAvatarSession(this.api, started.session, started.join, options.keepAliveMs ?? 30_000);
  }

  /** A reply spoken whole, in its persona's voice (kept by the server: hearing it again costs nothing). */
  async replyAudio(conversationId: string, replyId: string, options: StreamOptions & { readonly format?: 'mp3' | 'wav' | 'opus' } = {}): Promise<Blob> {
    return (await this.api.getReplyAudio({ path: { id: conversationId, messageId: replyId }, query: options.format ? { format: options.format } : {}, parseAs: 'blob', signal: options.signal })) as Blob;
  }

  /** The audio a `reply.audio` event's URL names (signed: no credentials are sent with it). */
  private async fetchSpeech(url: string, signal?: AbortSignal): Promise<Blob> {
    const response = await this.send(new URL(url, this.baseUrl), { signal });
    if (!response.ok) throw await ChorusApiError.fromResponse(response);
    return response.blob();
  }

  /** Follows a reply from after `lastEventId` (default: from its start), e.g. after the app restarted. */
  resumeReply(conversationId: string, replyId: string, options: StreamOptions & { readonly lastEventId?: number } = {}): ReplyStream {
    return new ReplyStream((position, signal) => this.resumeFrom(conversationId, position, signal), {
      ...this.reconnect,
      signal: options.signal,
      replyId,
      lastEventId: options.lastEventId ?? 0,
    });
  }

  /**
   * Follows the signed-in user's inbox: what happens in their conversations, on every device, as
   * typed events: `for await (const event of chorus.inbox()) ...`. A dropped connection is resumed
   * without repeating events or missing any the server still keeps, an expired access token is
   * refreshed, and the stream ends by throwing ChorusApiError `token_revoked` when the session
   * ends (e.g. logout).
   */
  inbox(options: InboxOptions = {}): InboxStream {
    const url: StreamInboxData['url'] = '/api/v1/me/events';
    // The token the stream was opened with (after any refresh on the way): the one to refresh when the server says it expired.
    let used: string | undefined;
    return new InboxStream(
      async (lastEventId, signal) => {
        const response = await this.openEventStream(
          this.client.get<unknown, unknown, true, 'fields'>({ ...streamRequest(signal, lastEventId === undefined ? {} : { 'Last-Event-ID': lastEventId }), url }),
        );
        used = this.session.token();
        return response;
      },
      () => this.session.refreshExpired(used),
      { ...this.reconnect, signal: options.signal, lastEventId: options.lastEventId },
    );
  }

  private resumeFrom(conversationId: string, position: StreamPosition, signal: AbortSignal): Promise<Response> {
    const url: StreamReplyData['url'] = '/api/v1/conversations/{id}/messages/{messageId}/stream';
    return this.openEventStream(
      this.client.get<unknown, unknown, true, 'fields'>({
        ...streamRequest(signal, { 'Last-Event-ID': String(position.lastEventId) }),
        url,
        path: { id: conversationId, messageId: position.replyId! },
      }),
    );
  }

  /** The response of a call made with `streamRequest()`, checked to be an event stream. */
  private async openEventStream(call: Promise<{ response: Response }>): Promise<Response> {
    const { response } = await call;
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await response.body?.cancel();
      throw new Error(`Expected an event stream, got ${response.headers.get('content-type') ?? 'no content type'}.`);
    }
    return response;
  }
}

/** Creates a client: `const chorus = createChorusClient({ baseUrl, credentials: { apiKey } })`. */
export function createChorusClient(options: ChorusClientOptions): ChorusClient {
  return new ChorusClient(options);
}

/**
 * Options that make a call return the raw event-stream response, read by ReplyStream and
 * InboxStream (with `headers` added to its Accept, such as Last-Event-ID). The paths
 * are typed by the generated operations (SendMessageData['url'], ...), so a renamed path fails
 * typechecking, while the calls do not depend on how the generator chooses to model the stream.
 */
function streamRequest(signal: AbortSignal, headers: Readonly<Record<string, string>> = {}) {
  return {
    signal,
    security: [{ scheme: 'bearer', type: 'http' }],
    parseAs: 'stream',
    responseStyle: 'fields',
    throwOnError: true,
    headers: { Accept: 'text/event-stream', ...headers },
  } as const;
}

function apiClient(baseUrl: string, send: typeof fetch, headers: Readonly<Record<string, string>> | undefined, token?: () => string | undefined): Client {
  const client = createClient(createConfig({ baseUrl, fetch: send, headers, throwOnError: true, auth: token }));
  // Failed answers become ChorusApiError; network errors (no response) stay what they are.
  client.interceptors.error.use((error, response) => (response ? ChorusApiError.fromBody(error, response) : error));
  return client;
}
