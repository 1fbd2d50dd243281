// This file is generated from openapi/openapi.json by `npm run sdk`. Do not edit.

import { client } from './client.gen.js';
import { type Client, formDataBodySerializer, type Options as Options2, type TDataShape } from './client/index.js';
import type { CancelReplyData, CancelReplyErrors, CancelReplyResponses, ChangePasswordData, ChangePasswordErrors, ChangePasswordResponses, CompleteDirectUploadData, CompleteDirectUploadErrors, CompleteDirectUploadResponses, CreateApiKeyData, CreateApiKeyErrors, CreateApiKeyResponses, CreateChatCompletionData, CreateChatCompletionErrors, CreateChatCompletionResponses, CreateConversationData, CreateConversationErrors, CreateConversationResponses, CreateDirectUploadData, CreateDirectUploadErrors, CreateDirectUploadResponses, CreateInfluencerData, CreateInfluencerErrors, CreateInfluencerResponses, CreateResponseData, CreateResponseErrors, CreateResponseResponses, DeleteApiKeyData, DeleteApiKeyErrors, DeleteApiKeyResponses, DeleteConversationData, DeleteConversationErrors, DeleteConversationResponses, DeleteInfluencerData, DeleteInfluencerErrors, DeleteInfluencerResponses, DeleteMeData, DeleteMediaData, DeleteMediaErrors, DeleteMediaResponses, DeleteMeErrors, DeleteMeResponses, DeletePersonaMediaData, DeletePersonaMediaErrors, DeletePersonaMediaResponses, DeleteResponseData, DeleteResponseErrors, DeleteResponseResponses, DownloadMediaContentData, DownloadMediaContentErrors, DownloadMediaContentResponses, DownloadSpeechData, DownloadSpeechErrors, DownloadSpeechResponses, GetAvatarSessionData, GetAvatarSessionErrors, GetAvatarSessionResponses, GetConversationData, GetConversationErrors, GetConversationResponses, GetInfluencerData, GetInfluencerErrors, GetInfluencerResponses, GetLivenessData, GetLivenessErrors, GetLivenessResponses, GetMeData, GetMediaData, GetMediaErrors, GetMediaResponses, GetMeErrors, GetMeResponses, GetMetricsData, GetMetricsErrors, GetMetricsResponses, GetMyUsageData, GetMyUsageErrors, GetMyUsageResponses, GetReadinessData, GetReadinessErrors, GetReadinessResponses, GetReplyAudioData, GetReplyAudioErrors, GetReplyAudioResponses, GetResponseData, GetResponseErrors, GetResponseResponses, GetUserData, GetUserErrors, GetUserResponses, KeepAvatarSessionAliveData, KeepAvatarSessionAliveErrors, KeepAvatarSessionAliveResponses, ListApiKeysData, ListApiKeysErrors, ListApiKeysResponses, ListAvatarSessionsData, ListAvatarSessionsErrors, ListAvatarSessionsResponses, ListConversationsData, ListConversationsErrors, ListConversationsResponses, ListInfluencersData, ListInfluencersErrors, ListInfluencersResponses, ListMediaData, ListMediaErrors, ListMediaResponses, ListMessagesData, ListMessagesErrors, ListMessagesResponses, ListOpenAiModelsData, ListOpenAiModelsErrors, ListOpenAiModelsResponses, ListPersonaMediaData, ListPersonaMediaErrors, ListPersonaMediaResponses, ListPlansData, ListPlansErrors, ListPlansResponses, ListProvidersData, ListProvidersErrors, ListProvidersResponses, ListResponseInputItemsData, ListResponseInputItemsErrors, ListResponseInputItemsResponses, ListSessionsData, ListSessionsErrors, ListSessionsResponses, ListTrendingInfluencersData, ListTrendingInfluencersErrors, ListTrendingInfluencersResponses, ListUsageData, ListUsageErrors, ListUsageResponses, ListUsersData, ListUsersErrors, ListUsersResponses, ListVoicesData, ListVoicesErrors, ListVoicesResponses, LoginData, LoginErrors, LoginResponses, LogoutAllData, LogoutAllErrors, LogoutAllResponses, LogoutData, LogoutErrors, LogoutResponses, MarkConversationReadData, MarkConversationReadErrors, MarkConversationReadResponses, RefreshTokensData, RefreshTokensErrors, RefreshTokensResponses, RegenerateReplyData, RegenerateReplyErrors, RegenerateReplyResponses, RegisterData, RegisterErrors, RegisterResponses, ReviewMediaData, ReviewMediaErrors, ReviewMediaResponses, RevokeSessionData, RevokeSessionErrors, RevokeSessionResponses, SendMessageData, SendMessageErrors, SendMessageResponses, StartAvatarSessionData, StartAvatarSessionErrors, StartAvatarSessionResponses, StopAvatarSessionData, StopAvatarSessionErrors, StopAvatarSessionResponses, StreamInboxData, StreamInboxErrors, StreamInboxResponse, StreamInboxResponses, StreamReplyData, StreamReplyErrors, StreamReplyResponse, StreamReplyResponses, UpdateConversationData, UpdateConversationErrors, UpdateConversationResponses, UpdateInfluencerData, UpdateInfluencerErrors, UpdateInfluencerResponses, UpdateMeData, UpdateMeErrors, UpdateMeResponses, UpdateUserData, UpdateUserErrors, UpdateUserQuotaData, UpdateUserQuotaErrors, UpdateUserQuotaResponses, UpdateUserResponses, UploadMediaData, UploadMediaErrors, UploadMediaResponses, UploadPersonaMediaData, UploadPersonaMediaErrors, UploadPersonaMediaResponses } from './types.gen.js';

export type Options<TData extends TDataShape = TDataShape, ThrowOnError extends boolean = boolean, TResponse = unknown> = Options2<TData, ThrowOnError, TResponse> & {
    /**
     * You can provide a client instance returned by `createClient()` instead of
     * individual options. This might be also useful if you want to implement a
     * custom client.
     */
    client?: Client;
    /**
     * You can pass arbitrary values through the `meta` object. This can be
     * used to access values that aren't defined as part of the SDK function.
     */
    meta?: Record<string, unknown>;
};

class HeyApiClient {
    protected client: Client;
    
    constructor(args?: {
        client?: Client;
    }) {
        this.client = args?.client ?? client;
    }
}

class HeyApiRegistry<T> {
    private readonly defaultKey = 'default';
    
    private readonly instances: Map<string, T> = new Map();
    
    get(key?: string): T {
        const instance = this.instances.get(key ?? this.defaultKey);
        if (!instance) {
            throw new Error(`No SDK client found. Create one with "new ChorusApi()" to fix this error.`);
        }
        return instance;
    }
    
    set(value: T, key?: string): void {
        this.instances.set(key ?? this.defaultKey, value);
    }
}

export class ChorusApi extends HeyApiClient {
    public static readonly __registry = new HeyApiRegistry<ChorusApi>();
    
    constructor(args?: {
        client?: Client;
        key?: string;
    }) {
        super(args);
        ChorusApi.__registry.set(this, args?.key);
    }
    
    /**
     * Upload an image for a persona
     *
     * Admins only. Like POST /media, a `multipart/form-data` body streamed to storage, processed the same way, and not charged to any quota: the fields `purpose` (`profile` or `gallery`, the default), `tags`, `caption` and `premiumOnly`, then the `file` part. Invalid fields, and any part after the file, are refused with 400 and nothing is kept.
     */
    public uploadPersonaMedia<ThrowOnError extends boolean = true>(options: Options<UploadPersonaMediaData, ThrowOnError>) {
        return (options.client ?? this.client).post<UploadPersonaMediaResponses, UploadPersonaMediaErrors, ThrowOnError, 'data'>({
            ...formDataBodySerializer,
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/influencers/{id}/media',
            ...options,
            headers: {
                'Content-Type': null,
                ...options.headers
            }
        });
    }
    
    /**
     * Delete a persona's image
     *
     * Admins only. The record and its files.
     */
    public deletePersonaMedia<ThrowOnError extends boolean = true>(options: Options<DeletePersonaMediaData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeletePersonaMediaResponses, DeletePersonaMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/influencers/{id}/media/{mediaId}',
            ...options
        });
    }
    
    /**
     * List media for review
     *
     * Rejected media by default, most recently rejected first, cursor-paginated: whose it is, why it was rejected, the moderation verdict (scores and flagged categories), and short-lived URLs of the cleaned image and thumbnail when they are kept (`moderation_flagged` files are kept for review; other rejections have no file). `reviewed=false` lists what awaits a review.
     */
    public listMedia<ThrowOnError extends boolean = true>(options?: Options<ListMediaData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListMediaResponses, ListMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/media',
            ...options
        });
    }
    
    /**
     * Review a file flagged by moderation
     *
     * `approve` makes it `ready` for its owner (who is told through the inbox); `reject` confirms the rejection, and the files stay, never shown, until the owner deletes the media. Either is recorded in `moderation.review`. Only `moderation_flagged` rejections can be reviewed (409 otherwise); a confirmed rejection may still be approved later.
     */
    public reviewMedia<ThrowOnError extends boolean = true>(options: Options<ReviewMediaData, ThrowOnError>) {
        return (options.client ?? this.client).post<ReviewMediaResponses, ReviewMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/media/{id}/review',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Usage totals
     *
     * Admins only: totals by day (UTC), user, provider and model, newest day first.
     */
    public listUsage<ThrowOnError extends boolean = true>(options?: Options<ListUsageData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListUsageResponses, ListUsageErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/usage',
            ...options
        });
    }
    
    /**
     * List users
     *
     * Newest first, cursor-paginated; `email` filters by a part of the address.
     */
    public listUsers<ThrowOnError extends boolean = true>(options?: Options<ListUsersData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListUsersResponses, ListUsersErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/users',
            ...options
        });
    }
    
    /**
     * Get a user
     */
    public getUser<ThrowOnError extends boolean = true>(options: Options<GetUserData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetUserResponses, GetUserErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/users/{id}',
            ...options
        });
    }
    
    /**
     * Change a user's role, plan or status
     *
     * Banning ends every session and deletes every API key of the user at once. Role and plan changes apply from the user's next request, to access tokens already issued too. The last active admin cannot be demoted or banned.
     */
    public updateUser<ThrowOnError extends boolean = true>(options: Options<UpdateUserData, ThrowOnError>) {
        return (options.client ?? this.client).patch<UpdateUserResponses, UpdateUserErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/users/{id}',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Override a user's limits
     *
     * Admins only: limits laid over the user's plan; returns the effective limits.
     */
    public updateUserQuota<ThrowOnError extends boolean = true>(options: Options<UpdateUserQuotaData, ThrowOnError>) {
        return (options.client ?? this.client).patch<UpdateUserQuotaResponses, UpdateUserQuotaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/admin/users/{id}/quota',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Sign in
     *
     * Returns a short-lived access token and a refresh token. Wrong passwords and unknown emails get the same answer. Limited per client IP, and per email from one client IP (AUTH_LOGIN_LIMIT_PER_IP, AUTH_LOGIN_LIMIT_PER_EMAIL): failed guesses from elsewhere never lock the owner out.
     */
    public login<ThrowOnError extends boolean = true>(options: Options<LoginData, ThrowOnError>) {
        return (options.client ?? this.client).post<LoginResponses, LoginErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/auth/login',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Sign out of this session
     *
     * Ends the session of the access token used; its tokens stop working at once.
     */
    public logout<ThrowOnError extends boolean = true>(options?: Options<LogoutData, ThrowOnError>) {
        return (options?.client ?? this.client).post<LogoutResponses, LogoutErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/auth/logout',
            ...options
        });
    }
    
    /**
     * Sign out everywhere
     *
     * Ends every session of the caller, this one included. API keys keep working unless the body asks `{"revokeApiKeys": true}`; the body is optional.
     */
    public logoutAll<ThrowOnError extends boolean = true>(options?: Options<LogoutAllData, ThrowOnError>) {
        return (options?.client ?? this.client).post<LogoutAllResponses, LogoutAllErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/auth/logout-all',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options?.headers
            }
        });
    }
    
    /**
     * Exchange a refresh token for new tokens
     *
     * Each refresh token works once and is replaced by the one returned. Presenting a used one again ends the whole session (its newest token too) and answers 401 `refresh_token_reused`.
     */
    public refreshTokens<ThrowOnError extends boolean = true>(options: Options<RefreshTokensData, ThrowOnError>) {
        return (options.client ?? this.client).post<RefreshTokensResponses, RefreshTokensErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/auth/refresh',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Create an account
     *
     * Creates a user on the default plan and signs them in. Limited per client IP (AUTH_REGISTER_LIMIT_PER_IP).
     */
    public register<ThrowOnError extends boolean = true>(options: Options<RegisterData, ThrowOnError>) {
        return (options.client ?? this.client).post<RegisterResponses, RegisterErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/auth/register',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * List my avatar sessions
     *
     * Newest first; admins see everyone's.
     */
    public listAvatarSessions<ThrowOnError extends boolean = true>(options?: Options<ListAvatarSessionsData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListAvatarSessionsResponses, ListAvatarSessionsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/avatar/sessions',
            ...options
        });
    }
    
    /**
     * Start a live session with a persona's avatar
     *
     * The server checks that the persona has a live avatar and that my plan allows it, that I am under my plan's concurrent sessions (409 `avatar_session_limit`), and reserves the session's seconds from my avatar minutes (up to AVATAR_MAX_SESSION_SECONDS, fewer when fewer are left; 429 `quota_exceeded` below AVATAR_MIN_SESSION_SECONDS) before it starts anything at the provider. Answers the session and, once, what joining its video room takes. Keep it alive (POST .../keep-alive) at least every AVATAR_IDLE_TIMEOUT_SECONDS, and stop it when done: the server stops it anyway when its seconds run out or keep-alives stop, and bills the seconds it ran.
     */
    public startAvatarSession<ThrowOnError extends boolean = true>(options: Options<StartAvatarSessionData, ThrowOnError>) {
        return (options.client ?? this.client).post<StartAvatarSessionResponses, StartAvatarSessionErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/avatar/sessions',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Get an avatar session
     *
     * Its status, times and, once ended, why and the seconds billed.
     */
    public getAvatarSession<ThrowOnError extends boolean = true>(options: Options<GetAvatarSessionData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetAvatarSessionResponses, GetAvatarSessionErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/avatar/sessions/{id}',
            ...options
        });
    }
    
    /**
     * Keep an avatar session alive
     *
     * Tells the provider and the server that I am still there; a session not kept alive for AVATAR_IDLE_TIMEOUT_SECONDS is stopped. 409 `avatar_session_ended` once it has ended.
     */
    public keepAvatarSessionAlive<ThrowOnError extends boolean = true>(options: Options<KeepAvatarSessionAliveData, ThrowOnError>) {
        return (options.client ?? this.client).post<KeepAvatarSessionAliveResponses, KeepAvatarSessionAliveErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/avatar/sessions/{id}/keep-alive',
            ...options
        });
    }
    
    /**
     * Stop an avatar session
     *
     * Stops it at the provider and bills the seconds it ran; stopping an ended session answers it unchanged.
     */
    public stopAvatarSession<ThrowOnError extends boolean = true>(options: Options<StopAvatarSessionData, ThrowOnError>) {
        return (options.client ?? this.client).post<StopAvatarSessionResponses, StopAvatarSessionErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/avatar/sessions/{id}/stop',
            ...options
        });
    }
    
    /**
     * List my conversations
     *
     * Most recent activity first, with the last message and the unread count.
     */
    public listConversations<ThrowOnError extends boolean = true>(options?: Options<ListConversationsData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListConversationsResponses, ListConversationsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations',
            ...options
        });
    }
    
    /**
     * Start a conversation
     *
     * With an active persona; the persona's greeting is the first message.
     */
    public createConversation<ThrowOnError extends boolean = true>(options: Options<CreateConversationData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateConversationResponses, CreateConversationErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Delete a conversation
     *
     * With all its messages.
     */
    public deleteConversation<ThrowOnError extends boolean = true>(options: Options<DeleteConversationData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteConversationResponses, DeleteConversationErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}',
            ...options
        });
    }
    
    /**
     * Get a conversation
     */
    public getConversation<ThrowOnError extends boolean = true>(options: Options<GetConversationData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetConversationResponses, GetConversationErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}',
            ...options
        });
    }
    
    /**
     * Rename a conversation
     */
    public updateConversation<ThrowOnError extends boolean = true>(options: Options<UpdateConversationData, ThrowOnError>) {
        return (options.client ?? this.client).patch<UpdateConversationResponses, UpdateConversationErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Read the history
     *
     * Oldest first within a page; the newest page by default, `before`/`after` to move.
     */
    public listMessages<ThrowOnError extends boolean = true>(options: Options<ListMessagesData, ThrowOnError>) {
        return (options.client ?? this.client).get<ListMessagesResponses, ListMessagesErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages',
            ...options
        });
    }
    
    /**
     * Send a message and get the reply
     *
     * With `Accept: text/event-stream` the reply streams as server-sent events; otherwise the answer comes when the reply is done. Retrying with the same `clientMessageId` returns the same messages and never generates twice. A client that disconnects does not stop the reply: it is saved, and GET .../stream resumes it. `attachments` sends your uploads (images) with the message, to a persona whose model reads images; a persona with a gallery may send photos in its reply (`reply.media`). `audio` sends a voice message (transcribed), and `speak` has the reply spoken as it streams (`reply.audio`). Events (each with an increasing `id`): `message` (ReplyMessageEvent: the stored user message), `reply.started` (ReplyStartedEvent), `reply.delta` (ReplyDeltaEvent: the next piece of text), `reply.media` (ReplyMediaEvent: a photo the persona sent from its gallery, between pieces of text), with `speak: true` `reply.audio` (ReplyAudioEvent: a sentence spoken, in order, as soon as it is complete) or once `reply.audio.failed` (ReplyAudioFailedEvent: the rest is not spoken), then `reply.completed` (ReplyCompletedEvent, also for a cancelled reply) or `error` (a problem document with `messageId` and `partialLength`). Comment lines keep idle connections open. Reconnect with `Last-Event-ID` to GET /conversations/{id}/messages/{messageId}/stream.
     */
    public sendMessage<ThrowOnError extends boolean = true>(options: Options<SendMessageData, ThrowOnError>) {
        return (options.client ?? this.client).post<SendMessageResponses, SendMessageErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Hear a reply
     *
     * The reply spoken whole in its persona's voice (GET /voices lists the providers and their formats). Kept by its text, voice and format: the first request synthesises it (its characters count against `voice.ttsCharactersPerMonth`), a replay costs nothing.
     */
    public getReplyAudio<ThrowOnError extends boolean = true>(options: Options<GetReplyAudioData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetReplyAudioResponses, GetReplyAudioErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages/{messageId}/audio',
            ...options
        });
    }
    
    /**
     * Stop a reply
     *
     * Closes the provider connection (so generation and billing stop) and saves the partial reply as `cancelled`. A finished reply is returned as it is.
     */
    public cancelReply<ThrowOnError extends boolean = true>(options: Options<CancelReplyData, ThrowOnError>) {
        return (options.client ?? this.client).post<CancelReplyResponses, CancelReplyErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages/{messageId}/cancel',
            ...options
        });
    }
    
    /**
     * Regenerate a reply
     *
     * A new reply to the same user message. The earlier reply stays in the history (same `replyToId`) as an alternative; later replies are generated from the newest one. Streams like sending a message. Events (each with an increasing `id`): `message` (ReplyMessageEvent: the stored user message), `reply.started` (ReplyStartedEvent), `reply.delta` (ReplyDeltaEvent: the next piece of text), `reply.media` (ReplyMediaEvent: a photo the persona sent from its gallery, between pieces of text), with `speak: true` `reply.audio` (ReplyAudioEvent: a sentence spoken, in order, as soon as it is complete) or once `reply.audio.failed` (ReplyAudioFailedEvent: the rest is not spoken), then `reply.completed` (ReplyCompletedEvent, also for a cancelled reply) or `error` (a problem document with `messageId` and `partialLength`). Comment lines keep idle connections open. Reconnect with `Last-Event-ID` to GET /conversations/{id}/messages/{messageId}/stream.
     */
    public regenerateReply<ThrowOnError extends boolean = true>(options: Options<RegenerateReplyData, ThrowOnError>) {
        return (options.client ?? this.client).post<RegenerateReplyResponses, RegenerateReplyErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages/{messageId}/regenerate',
            ...options
        });
    }
    
    /**
     * Resume a reply stream
     *
     * Replays the events after `Last-Event-ID` and follows the live reply; a finished reply returns its final events at once. Events (each with an increasing `id`): `message` (ReplyMessageEvent: the stored user message), `reply.started` (ReplyStartedEvent), `reply.delta` (ReplyDeltaEvent: the next piece of text), `reply.media` (ReplyMediaEvent: a photo the persona sent from its gallery, between pieces of text), with `speak: true` `reply.audio` (ReplyAudioEvent: a sentence spoken, in order, as soon as it is complete) or once `reply.audio.failed` (ReplyAudioFailedEvent: the rest is not spoken), then `reply.completed` (ReplyCompletedEvent, also for a cancelled reply) or `error` (a problem document with `messageId` and `partialLength`). Comment lines keep idle connections open. Reconnect with `Last-Event-ID` to GET /conversations/{id}/messages/{messageId}/stream.
     */
    public streamReply<ThrowOnError extends boolean = true>(options: Options<StreamReplyData, ThrowOnError, StreamReplyResponse>) {
        return (options.client ?? this.client).sse.get<StreamReplyResponses, StreamReplyErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/messages/{messageId}/stream',
            ...options
        });
    }
    
    /**
     * Mark a conversation read
     *
     * Sets its unread count to zero.
     */
    public markConversationRead<ThrowOnError extends boolean = true>(options: Options<MarkConversationReadData, ThrowOnError>) {
        return (options.client ?? this.client).post<MarkConversationReadResponses, MarkConversationReadErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/conversations/{id}/read',
            ...options
        });
    }
    
    /**
     * List personas
     *
     * By name, cursor-paginated; search by name or handle, filter by category. Only active personas, except for admins.
     */
    public listInfluencers<ThrowOnError extends boolean = true>(options?: Options<ListInfluencersData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListInfluencersResponses, ListInfluencersErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers',
            ...options
        });
    }
    
    /**
     * Create a persona
     *
     * Admins only. The model policy defaults to DEFAULT_MODEL, the moderation policy to the deployment's.
     */
    public createInfluencer<ThrowOnError extends boolean = true>(options: Options<CreateInfluencerData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateInfluencerResponses, CreateInfluencerErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Trending personas
     *
     * The 10 active personas with the most messages over the last 7 days.
     */
    public listTrendingInfluencers<ThrowOnError extends boolean = true>(options?: Options<ListTrendingInfluencersData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListTrendingInfluencersResponses, ListTrendingInfluencersErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers/trending',
            ...options
        });
    }
    
    /**
     * Delete a persona
     *
     * Admins only. A soft delete: existing conversations keep their history.
     */
    public deleteInfluencer<ThrowOnError extends boolean = true>(options: Options<DeleteInfluencerData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteInfluencerResponses, DeleteInfluencerErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers/{id}',
            ...options
        });
    }
    
    /**
     * Get a persona
     *
     * By id or handle. The system prompt, model policy and moderation policy are shown to admins only.
     */
    public getInfluencer<ThrowOnError extends boolean = true>(options: Options<GetInfluencerData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetInfluencerResponses, GetInfluencerErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers/{id}',
            ...options
        });
    }
    
    /**
     * Update a persona
     *
     * Admins only. A new system prompt becomes a new version; replies record the version they were generated with.
     */
    public updateInfluencer<ThrowOnError extends boolean = true>(options: Options<UpdateInfluencerData, ThrowOnError>) {
        return (options.client ?? this.client).patch<UpdateInfluencerResponses, UpdateInfluencerErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers/{id}',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * List a persona's images
     *
     * Its ready images, profile images first, then its gallery (newest first in each), with short-lived URLs. Premium-only items are listed for plans with premium personas only; admins see every item, of any persona that is not deleted.
     */
    public listPersonaMedia<ThrowOnError extends boolean = true>(options: Options<ListPersonaMediaData, ThrowOnError>) {
        return (options.client ?? this.client).get<ListPersonaMediaResponses, ListPersonaMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/influencers/{id}/media',
            ...options
        });
    }
    
    /**
     * Delete my account
     *
     * Needs the current password. Deletes the account and everything it owns; every token and API key stops working.
     */
    public deleteMe<ThrowOnError extends boolean = true>(options: Options<DeleteMeData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteMeResponses, DeleteMeErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Get my account
     */
    public getMe<ThrowOnError extends boolean = true>(options?: Options<GetMeData, ThrowOnError>) {
        return (options?.client ?? this.client).get<GetMeResponses, GetMeErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me',
            ...options
        });
    }
    
    /**
     * Update my profile
     *
     * Display name and client preferences (replaced as a whole).
     */
    public updateMe<ThrowOnError extends boolean = true>(options: Options<UpdateMeData, ThrowOnError>) {
        return (options.client ?? this.client).patch<UpdateMeResponses, UpdateMeErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * List my API keys
     *
     * Newest first; shows each key's prefix, never the key.
     */
    public listApiKeys<ThrowOnError extends boolean = true>(options?: Options<ListApiKeysData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListApiKeysResponses, ListApiKeysErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/api-keys',
            ...options
        });
    }
    
    /**
     * Create an API key
     *
     * The key (`chorus_sk_...`) is in the response this once; only its hash is kept. Use it as `Authorization: Bearer <key>`.
     */
    public createApiKey<ThrowOnError extends boolean = true>(options: Options<CreateApiKeyData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateApiKeyResponses, CreateApiKeyErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/api-keys',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Delete an API key
     *
     * It stops working on the next request. Another user's key is not found.
     */
    public deleteApiKey<ThrowOnError extends boolean = true>(options: Options<DeleteApiKeyData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteApiKeyResponses, DeleteApiKeyErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/api-keys/{id}',
            ...options
        });
    }
    
    /**
     * Follow my inbox
     *
     * What happens in your conversations, as it happens, on every device. Server-sent events, each with an `id` (a string: `12`, or `1733000000000-3` on a deployment with Redis; compare them as opaque, they only increase), its kind as `event` and its `data` as JSON: `message.created` (InboxMessageCreatedEvent: a message was stored in one of your conversations), `reply.status` (InboxReplyStatusEvent: a reply started, completed, failed or was cancelled; follow it with GET /conversations/{id}/messages/{messageId}/stream), `conversation.unread` (InboxConversationUnreadEvent: its unread count changed), `media.status` (InboxMediaStatusEvent: an upload is ready, or was rejected). Clients ignore kinds they do not know: more will come. The stream ends with `session.revoked` (InboxStreamEndEvent, no id) when the session behind the token ends (logout, password change, ban, account deletion): sign in again; with `token.expired` when the access token expires: refresh it and reconnect. Comment lines every 15 s keep idle connections open. Without `Last-Event-ID` only new events are sent; with it (the header, which EventSource sends by itself when it reconnects, or `lastEventId` for clients that cannot set headers), the events kept since are replayed first: the last 100, for an hour. What the inbox tells is in the API as well: after a longer gap, reload what is shown.
     */
    public streamInbox<ThrowOnError extends boolean = true>(options?: Options<StreamInboxData, ThrowOnError, StreamInboxResponse>) {
        return (options?.client ?? this.client).sse.get<StreamInboxResponses, StreamInboxErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/events',
            ...options
        });
    }
    
    /**
     * Change my password
     *
     * Needs the current password. Every other session is ended; this one stays signed in. API keys keep working unless `revokeApiKeys` is true.
     */
    public changePassword<ThrowOnError extends boolean = true>(options: Options<ChangePasswordData, ThrowOnError>) {
        return (options.client ?? this.client).post<ChangePasswordResponses, ChangePasswordErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/password',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * List my sessions
     *
     * The signed-in devices, most recently used first.
     */
    public listSessions<ThrowOnError extends boolean = true>(options?: Options<ListSessionsData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListSessionsResponses, ListSessionsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/sessions',
            ...options
        });
    }
    
    /**
     * End one of my sessions
     *
     * Its tokens stop working at once. Another user's session is not found.
     */
    public revokeSession<ThrowOnError extends boolean = true>(options: Options<RevokeSessionData, ThrowOnError>) {
        return (options.client ?? this.client).delete<RevokeSessionResponses, RevokeSessionErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/sessions/{id}',
            ...options
        });
    }
    
    /**
     * My usage
     *
     * Per modality: used, reserved (replies in progress), limit, remaining and when it resets; plus the ledger, newest first.
     */
    public getMyUsage<ThrowOnError extends boolean = true>(options?: Options<GetMyUsageData, ThrowOnError>) {
        return (options?.client ?? this.client).get<GetMyUsageResponses, GetMyUsageErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/me/usage',
            ...options
        });
    }
    
    /**
     * Upload an image or a voice message
     *
     * A `multipart/form-data` body with one part named `file`, streamed to storage, after the optional `influencerId` field; a part after the file is refused with 400. Its type comes from its bytes: an image (image/jpeg, image/png, image/webp, image/gif, image/avif) or audio for a voice message (audio/wav, audio/webm, audio/ogg, audio/mpeg, audio/mp4; a WebM or MP4 only when it holds audio and no video), else 415; a file over MEDIA_MAX_UPLOAD_BYTES is refused with 413 as soon as it passes the limit, and a body that stops arriving for MEDIA_UPLOAD_IDLE_TIMEOUT_MS with 408 `upload_stalled`. It counts against the plan's `media.uploadsPerDay` and `media.bytesPerMonth`: its declared length is held before it is read (429 `quota_exceeded` when it does not fit, and nothing is kept), and the bytes received are billed. Answers `processing`: the image is then oriented, re-encoded without any metadata (EXIF, GPS) and given a thumbnail; the inbox tells `media.status` when it is `ready` (or `rejected`, e.g. too many pixels or unreadable), and GET /media/{id} gives its URLs. Files larger than MEDIA_MAX_UPLOAD_BYTES go straight to the bucket instead: POST /media/uploads. Audio is checked at once instead, and answers `ready` with its `durationMs` and `urls.audio` (it is not moderated): 413 over VOICE_MAX_BYTES, 422 `audio_unreadable` when it cannot be parsed or has no length, 422 `audio_too_long` over VOICE_MAX_SECONDS; refused, it is not kept.
     */
    public uploadMedia<ThrowOnError extends boolean = true>(options: Options<UploadMediaData, ThrowOnError>) {
        return (options.client ?? this.client).post<UploadMediaResponses, UploadMediaErrors, ThrowOnError, 'data'>({
            ...formDataBodySerializer,
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/media',
            ...options,
            headers: {
                'Content-Type': null,
                ...options.headers
            }
        });
    }
    
    /**
     * Start an upload straight to the bucket
     *
     * For large files, when media are kept in an S3 bucket: answers the media, `pending`, and a presigned POST form whose signed policy allows this one file, of the type and at most the size declared (up to MEDIA_DIRECT_UPLOAD_MAX_BYTES), until `expiresAt`. POST the form's `fields` and then the file (a part named `file`) to its `url`, then call POST /media/{id}/complete. The declared size is held on the quota now (429 `quota_exceeded` when it does not fit); uploads not completed in time are deleted. On a server keeping media on its own disk: 409 `direct_upload_unavailable` (use POST /media).
     */
    public createDirectUpload<ThrowOnError extends boolean = true>(options: Options<CreateDirectUploadData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateDirectUploadResponses, CreateDirectUploadErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/media/uploads',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Delete one of my media
     *
     * The record and its files.
     */
    public deleteMedia<ThrowOnError extends boolean = true>(options: Options<DeleteMediaData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteMediaResponses, DeleteMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/media/{id}',
            ...options
        });
    }
    
    /**
     * Get a media
     *
     * One of mine, whatever its status, or a persona's ready image (premium-only ones for plans with premium personas): its status and, when ready, short-lived URLs of the image and its thumbnail, or of the audio.
     */
    public getMedia<ThrowOnError extends boolean = true>(options: Options<GetMediaData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetMediaResponses, GetMediaErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/media/{id}',
            ...options
        });
    }
    
    /**
     * Complete an upload to the bucket
     *
     * Once the file is in the bucket: it is checked as an upload through the API is (its size, at most the one declared, else 413; its type by its first bytes, else 415; either way it is deleted), billed the bytes received, and processed like any upload. Answers `processing` (or what it has become: completing again changes nothing). 409 `upload_incomplete` while the file is not there yet.
     */
    public completeDirectUpload<ThrowOnError extends boolean = true>(options: Options<CompleteDirectUploadData, ThrowOnError>) {
        return (options.client ?? this.client).post<CompleteDirectUploadResponses, CompleteDirectUploadErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/media/{id}/complete',
            ...options
        });
    }
    
    /**
     * Download a media file through a signed URL
     *
     * The URL GET /media/{id} gives when media is kept on the server's disk: its signature is the credential, until it expires. `variant` `image` and `thumbnail` (WebP) are an image's files, `audio` an audio's, each served with its own type.
     */
    public downloadMediaContent<ThrowOnError extends boolean = true>(options: Options<DownloadMediaContentData, ThrowOnError>) {
        return (options.client ?? this.client).get<DownloadMediaContentResponses, DownloadMediaContentErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/media/{id}/content',
            ...options
        });
    }
    
    /**
     * List plans
     *
     * Every plan with its limits per modality (null: unlimited).
     */
    public listPlans<ThrowOnError extends boolean = true>(options?: Options<ListPlansData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListPlansResponses, ListPlansErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/plans',
            ...options
        });
    }
    
    /**
     * List AI providers
     *
     * Admins only. Every configured provider with its models (context window, reply limit, prices) and the state of its circuit breaker: an `open` circuit means the provider failed repeatedly and its models fall back to the next model of each persona policy until a trial call succeeds.
     */
    public listProviders<ThrowOnError extends boolean = true>(options?: Options<ListProvidersData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListProvidersResponses, ListProvidersErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/providers',
            ...options
        });
    }
    
    /**
     * Download speech through a signed URL
     *
     * The URL a `reply.audio` event gives when speech is kept on the server's disk: its signature is the credential, until it expires.
     */
    public downloadSpeech<ThrowOnError extends boolean = true>(options: Options<DownloadSpeechData, ThrowOnError>) {
        return (options.client ?? this.client).get<DownloadSpeechResponses, DownloadSpeechErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/api/v1/speech/{key}',
            ...options
        });
    }
    
    /**
     * List the voices personas can speak with
     *
     * The configured text-to-speech providers (what a persona's `voice.provider` names), their formats and voices, and the speech-to-text providers voice messages are transcribed by. Local engines are listed as unavailable when not installed.
     */
    public listVoices<ThrowOnError extends boolean = true>(options?: Options<ListVoicesData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListVoicesResponses, ListVoicesErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/api/v1/voices',
            ...options
        });
    }
    
    /**
     * Liveness probe
     *
     * Answers 200 while the process is up; checks nothing else.
     */
    public getLiveness<ThrowOnError extends boolean = true>(options?: Options<GetLivenessData, ThrowOnError>) {
        return (options?.client ?? this.client).get<GetLivenessResponses, GetLivenessErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/health/live',
            ...options
        });
    }
    
    /**
     * Readiness probe
     *
     * Answers 200 when the database (and Redis, when configured) answer; otherwise 503 with a problem document whose `checks` member gives each dependency its status.
     */
    public getReadiness<ThrowOnError extends boolean = true>(options?: Options<GetReadinessData, ThrowOnError>) {
        return (options?.client ?? this.client).get<GetReadinessResponses, GetReadinessErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            url: '/health/ready',
            ...options
        });
    }
    
    /**
     * Prometheus metrics
     *
     * The process's metrics in the Prometheus text format: HTTP latency by route, replies (time to first token, duration, tokens, cost, outcome), provider errors and circuit states, open reply streams, quota and rate-limit refusals, the database pool, and the Node.js process. Needs `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN the endpoint is off and answers 404.
     */
    public getMetrics<ThrowOnError extends boolean = true>(options?: Options<GetMetricsData, ThrowOnError>) {
        return (options?.client ?? this.client).get<GetMetricsResponses, GetMetricsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }],
            url: '/metrics',
            ...options
        });
    }
    
    /**
     * Create a chat completion (OpenAI-compatible)
     *
     * OpenAI's request and response formats, streaming (`stream: true`, chunks then `[DONE]`, usage with `stream_options.include_usage`) or not. Quotas, rate limits and the usage ledger apply as in the native API. With `X-Chorus-Conversation-Id` the last user message is sent in that conversation (stored like any message; `Idempotency-Key` makes retries safe); without it nothing is stored but the usage.
     */
    public createChatCompletion<ThrowOnError extends boolean = true>(options: Options<CreateChatCompletionData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateChatCompletionResponses, CreateChatCompletionErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/chat/completions',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * List models (OpenAI-compatible)
     *
     * The personas the caller may talk to, as `persona/<handle>`; admins also see raw provider models. Errors use OpenAI's format.
     */
    public listOpenAiModels<ThrowOnError extends boolean = true>(options?: Options<ListOpenAiModelsData, ThrowOnError>) {
        return (options?.client ?? this.client).get<ListOpenAiModelsResponses, ListOpenAiModelsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/models',
            ...options
        });
    }
    
    /**
     * Create a response (OpenAI Responses API)
     *
     * A turn with a persona (`persona/<handle>`; admins may name `<provider>/<model>`, not stored). Stored by default: the first response starts a conversation with the persona and `previous_response_id` continues it (only from its latest response). `instructions` follow the persona's own system prompt. With `store: false`, `input` is the whole context and nothing but the usage is kept. Streams OpenAI's typed events with `stream: true`. Quotas, rate limits and the usage ledger apply as in the native API; a stored response is generated to its end even if the client leaves. Parameters a persona cannot honour (tools, `background`, `reasoning`, structured output) are refused.
     */
    public createResponse<ThrowOnError extends boolean = true>(options: Options<CreateResponseData, ThrowOnError>) {
        return (options.client ?? this.client).post<CreateResponseResponses, CreateResponseErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/responses',
            ...options,
            headers: {
                'Content-Type': 'application/json',
                ...options.headers
            }
        });
    }
    
    /**
     * Delete a stored response (OpenAI Responses API)
     *
     * Forgets the response; its turn stays in the Chorus conversation, which is deleted on its own.
     */
    public deleteResponse<ThrowOnError extends boolean = true>(options: Options<DeleteResponseData, ThrowOnError>) {
        return (options.client ?? this.client).delete<DeleteResponseResponses, DeleteResponseErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/responses/{id}',
            ...options
        });
    }
    
    /**
     * Get a stored response (OpenAI Responses API)
     *
     * As it stands: `in_progress` while its reply is generated. Another user's is not found.
     */
    public getResponse<ThrowOnError extends boolean = true>(options: Options<GetResponseData, ThrowOnError>) {
        return (options.client ?? this.client).get<GetResponseResponses, GetResponseErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/responses/{id}',
            ...options
        });
    }
    
    /**
     * List a stored response's input items (OpenAI Responses API)
     *
     * The user message the response answered.
     */
    public listResponseInputItems<ThrowOnError extends boolean = true>(options: Options<ListResponseInputItemsData, ThrowOnError>) {
        return (options.client ?? this.client).get<ListResponseInputItemsResponses, ListResponseInputItemsErrors, ThrowOnError, 'data'>({
            responseStyle: 'data',
            security: [{ scheme: 'bearer', type: 'http' }, { scheme: 'bearer', type: 'http' }],
            url: '/openai/v1/responses/{id}/input_items',
            ...options
        });
    }
}
