// This file is generated from openapi/openapi.json by `npm run sdk`. Do not edit.

export type ClientOptions = {
    baseUrl: `${string}://${string}` | (string & {});
};

export type AdminMediaDto = {
    bytes: number | null;
    contentType: string | null;
    createdAt: string;
    filename: string | null;
    height: number | null;
    id: string;
    /**
     * The verdict, when a provider judged it.
     */
    moderation: MediaModerationDto | null;
    owner: MediaOwnerDto;
    purpose: MediaPurpose;
    /**
     * When rejected.
     */
    rejection?: MediaRejectionDto;
    status: MediaStatus;
    /**
     * When it last changed: for a rejection, when it was rejected.
     */
    updatedAt: string;
    /**
     * When its files are kept: ready, or flagged by moderation (kept for review).
     */
    urls?: MediaUrlsDto;
    width: number | null;
};

export type AdminUpdateUserDto = {
    /**
     * One of the configured plans (PLANS).
     */
    plan?: string;
    role?: UserRole;
    /**
     * Banning ends all sessions and deletes all API keys at once.
     */
    status?: UserStatus;
};

export type ApiKeyDto = {
    createdAt: string;
    expiresAt: string | null;
    id: string;
    /**
     * Recorded to the minute.
     */
    lastUsedAt: string | null;
    name: string;
    /**
     * The first characters of the key, to tell keys apart.
     */
    prefix: string;
};

export type AttachmentDto = {
    bytes: number;
    caption: string | null;
    contentType: string;
    /**
     * An audio's length in milliseconds; null for an image.
     */
    durationMs: number | null;
    /**
     * An image's; null for audio.
     */
    height: number | null;
    mediaId: string;
    /**
     * `user`: the user's upload on their message; `persona`: a photo of the persona's gallery it sent in its reply.
     */
    source: AttachmentSource;
    urls: AttachmentUrlsDto;
    /**
     * An image's; null for audio.
     */
    width: number | null;
};

/**
 * `user`: the user's upload on their message; `persona`: a photo of the persona's gallery it sent in its reply.
 */
export type AttachmentSource = 'user' | 'persona';

export type AttachmentUrlsDto = {
    /**
     * An audio (a voice message): the audio, with its own type (signed, short-lived).
     */
    audio?: string;
    /**
     * When the URLs stop working: read the message again for new ones.
     */
    expiresAt: string;
    /**
     * An image: the image (signed, short-lived).
     */
    image?: string;
    /**
     * An image: its thumbnail, WebP, at most 256 pixels on its longer side (signed, short-lived).
     */
    thumbnail?: string;
};

export type AudioFormat = 'mp3' | 'wav' | 'opus';

export type AuthResultDto = {
    tokens: TokensDto;
    user: UserDto;
};

export type AvatarJoinDto = {
    /**
     * When the server stops the session at the latest.
     */
    expiresAt: string;
    /**
     * Whether the session is simulated (no video: for trying the API without a provider).
     */
    simulated: boolean;
    /**
     * The room token for this client; given only here, once.
     */
    token: string | null;
    /**
     * `livekit`: join `url` with `token` using a LiveKit client; `none`: the simulated provider, which has no video.
     */
    transport: 'livekit' | 'none';
    url: string | null;
};

export type AvatarLimitsDto = {
    concurrentSessions: number | null;
    secondsPerMonth: number | null;
};

export type AvatarQuality = 'low' | 'medium' | 'high' | 'very_high';

export type AvatarSessionDto = {
    /**
     * Seconds billed to my avatar minutes when it ended.
     */
    billedSeconds: number | null;
    conversationId: string | null;
    createdAt: string;
    id: string;
    influencerId: string;
    lastKeepAliveAt: string | null;
    /**
     * The streaming-avatar provider instance.
     */
    provider: string;
    /**
     * The longest the session may last: AVATAR_MAX_SESSION_SECONDS, or the avatar seconds my plan had left when fewer.
     */
    reservedSeconds: number;
    startedAt: string | null;
    status: AvatarSessionStatus;
    stopReason: AvatarStopReason | null;
    stoppedAt: string | null;
    /**
     * Who the session is for (admins list everyone's); null once the account is deleted.
     */
    userId: string | null;
};

export type AvatarSessionStatus = 'starting' | 'active' | 'stopped' | 'expired' | 'failed';

export type AvatarStopReason = 'user' | 'admin' | 'max_duration' | 'quota' | 'idle' | 'provider' | 'start_failed' | 'abandoned' | 'account_deleted' | 'user_banned' | 'persona_gone';

export type ChangePasswordDto = {
    currentPassword: string;
    newPassword: string;
    /**
     * Also delete every API key of the account (they survive a password change otherwise).
     */
    revokeApiKeys?: boolean;
};

export type ChatLimitsDto = {
    /**
     * Micro-dollars (1 USD = 1,000,000).
     */
    costMicrosPerMonth: number | null;
    messagesPerDay: number | null;
    tokensPerMonth: number | null;
};

/**
 * `closed`: in use. `open`: failed repeatedly, skipped (its models fall back) until the cooldown ends. `half_open`: the next call is a trial that closes or reopens the circuit.
 */
export type CircuitBreakerState = 'closed' | 'open' | 'half_open';

export type ConversationDto = {
    createdAt: string;
    id: string;
    influencer: ConversationPersonaDto;
    lastMessage: MessagePreviewDto | null;
    lastMessageAt: string;
    title: string | null;
    /**
     * Replies since the conversation was last marked read.
     */
    unreadCount: number;
};

export type ConversationPersonaDto = {
    avatarUrl: string | null;
    displayName: string;
    handle: string;
    id: string;
};

export type ConversationWithGreetingDto = {
    createdAt: string;
    /**
     * The persona's greeting, the first message.
     */
    greeting: MessageDto;
    id: string;
    influencer: ConversationPersonaDto;
    lastMessage: MessagePreviewDto | null;
    lastMessageAt: string;
    title: string | null;
    /**
     * Replies since the conversation was last marked read.
     */
    unreadCount: number;
};

export type CreateApiKeyDto = {
    /**
     * When the key stops working; never, if omitted.
     */
    expiresAt?: string;
    name: string;
};

export type CreateConversationDto = {
    /**
     * The persona to talk to.
     */
    influencerId: string;
};

export type CreateDirectUploadDto = {
    /**
     * The file's size in bytes, at most MEDIA_DIRECT_UPLOAD_MAX_BYTES: the bucket refuses a larger file, and so does `complete`.
     */
    bytes: number;
    /**
     * The type the file will be sent with; its bytes must be an image of a supported type.
     */
    contentType: DirectUploadContentType;
    /**
     * The file name, for display only.
     */
    filename?: string;
    /**
     * The persona the image is meant for: its moderation policy judges it (422 when there is no such persona).
     */
    influencerId?: string;
};

export type CreateInfluencerDto = {
    /**
     * The persona's live avatar (POST /avatar/sessions). Null or omitted: none.
     */
    avatar?: PersonaAvatarDto | null;
    avatarUrl?: string;
    bio?: string;
    category: string;
    displayName: string;
    greeting: string;
    /**
     * Lowercase letters, digits and dashes; unique.
     */
    handle: string;
    /**
     * Defaults to DEFAULT_MODEL with no fallbacks.
     */
    modelPolicy?: ModelPolicyDto;
    /**
     * How strictly media sent to this persona is moderated. Category names are lower case (`sexual`, `violence`, `self-harm`...; names given are lower-cased). Null or omitted: the deployment's default.
     */
    moderationPolicy?: ModerationPolicyDto | null;
    nsfw?: boolean;
    premiumOnly?: boolean;
    status?: InfluencerStatus;
    suggestedOpeners?: Array<string>;
    /**
     * Instructions for the model; admins only. Editing it creates a new version.
     */
    systemPrompt: string;
    traits?: Array<string>;
    /**
     * How the persona speaks its replies. Null or omitted: TTS_DEFAULT's default voice.
     */
    voice?: PersonaVoiceDto | null;
};

export type CreatedApiKeyDto = {
    createdAt: string;
    expiresAt: string | null;
    id: string;
    /**
     * Recorded to the minute.
     */
    lastUsedAt: string | null;
    name: string;
    /**
     * The first characters of the key, to tell keys apart.
     */
    prefix: string;
    /**
     * The key itself. Shown this once: store it now.
     */
    secret: string;
};

export type DeleteAccountDto = {
    /**
     * The current password, to confirm.
     */
    password: string;
};

export type DependencyStatus = 'up' | 'down' | 'degraded';

export type DependencyStatusDto = {
    /**
     * How long the check took.
     */
    latencyMs?: number;
    status: DependencyStatus;
};

/**
 * The type the file will be sent with; its bytes must be an image of a supported type.
 */
export type DirectUploadContentType = 'image/jpeg' | 'image/png' | 'image/webp' | 'image/gif' | 'image/avif';

export type DirectUploadDto = {
    /**
     * The media, `pending` until completed.
     */
    media: MediaDto;
    upload: PresignedUploadDto;
};

export type EffectiveLimitsDto = {
    /**
     * null for admins (unlimited).
     */
    limits: PlanLimitsDto | null;
};

export type FieldErrorDto = {
    /**
     * Dotted path of the rejected field.
     */
    field: string;
    /**
     * Why it was rejected.
     */
    message: string;
};

export type HealthDto = {
    /**
     * Each dependency checked, by name (database, redis).
     */
    details: {
        [key: string]: DependencyStatusDto;
    };
    status: HealthStatus;
};

export type HealthStatus = 'ok' | 'error' | 'degraded' | 'shutting_down';

export type InboxConversationUnreadEventDto = {
    conversationId: string;
    unreadCount: number;
};

export type InboxMediaStatusEventDto = {
    mediaId: string;
    /**
     * GET /media/{id} gives its URLs, or why it was rejected.
     */
    status: 'ready' | 'rejected';
};

export type InboxMessageCreatedEventDto = {
    conversationId: string;
    /**
     * The message, as the conversation history lists it.
     */
    message: MessageDto;
};

export type InboxReplyStatus = 'started' | 'completed' | 'failed' | 'cancelled';

export type InboxReplyStatusEventDto = {
    conversationId: string;
    /**
     * Why a failed reply failed, as the message's `errorCode`.
     */
    errorCode?: string;
    /**
     * The reply (assistant message).
     */
    messageId: string;
    status: InboxReplyStatus;
};

export type InboxStreamEndEventDto = {
    /**
     * As the 401 the next request with this credential would get: token_revoked, token_expired, invalid_api_key.
     */
    code: string;
    detail: string;
};

export type InfluencerDto = {
    /**
     * Admins only; null: no live avatar.
     */
    avatar?: PersonaAvatarDto | null;
    avatarUrl: string | null;
    bio: string;
    category: string;
    createdAt: string;
    displayName: string;
    greeting: string;
    handle: string;
    /**
     * Whether the persona has a live avatar (POST /avatar/sessions starts a session with it).
     */
    hasLiveAvatar: boolean;
    id: string;
    /**
     * Admins only.
     */
    modelPolicy?: ModelPolicyDto;
    /**
     * Admins only; null: the deployment's default.
     */
    moderationPolicy?: ModerationPolicyDto | null;
    nsfw: boolean;
    premiumOnly: boolean;
    /**
     * Admins only: the version of the current system prompt.
     */
    promptVersion?: number;
    status: InfluencerStatus;
    suggestedOpeners: Array<string>;
    /**
     * Admins only.
     */
    systemPrompt?: string;
    traits: Array<string>;
    updatedAt: string;
    /**
     * Null: the default provider's default voice.
     */
    voice: PersonaVoiceDto | null;
};

export type InfluencerStatus = 'active' | 'coming_soon' | 'discontinued';

export type LoginDto = {
    email: string;
    password: string;
};

export type LogoutAllDto = {
    /**
     * Also delete every API key of the account (they keep working otherwise).
     */
    revokeApiKeys?: boolean;
};

export type MediaDto = {
    /**
     * Once cleaned; while a direct upload is pending, the size declared.
     */
    bytes: number | null;
    caption: string | null;
    /**
     * SHA-256 of the cleaned file (an audio: of the file), hex.
     */
    checksum: string | null;
    /**
     * What its bytes are: an image once cleaned, or audio (`audio/wav`, `audio/webm`, `audio/ogg`, `audio/mpeg`, `audio/mp4`).
     */
    contentType: string | null;
    createdAt: string;
    /**
     * Audio: its length in milliseconds, measured from its bytes.
     */
    durationMs: number | null;
    /**
     * The name it was uploaded with, cleaned of paths and control characters.
     */
    filename: string | null;
    height: number | null;
    id: string;
    /**
     * A persona's media: the persona; a user's upload: the persona it was meant for, if any.
     */
    influencerId: string | null;
    /**
     * Only plans with premium personas see it.
     */
    premiumOnly: boolean;
    /**
     * `upload`: a user's; `profile` or `gallery`: a persona's.
     */
    purpose: MediaPurpose;
    /**
     * When rejected.
     */
    rejection?: MediaRejectionDto;
    /**
     * `pending` while a direct upload is awaited, `processing` while it is checked and cleaned, then `ready` or `rejected`.
     */
    status: MediaStatus;
    /**
     * A persona's gallery item: what `send_media` picks it by.
     */
    tags: Array<string>;
    /**
     * When ready.
     */
    urls?: MediaUrlsDto;
    width: number | null;
};

export type MediaLimitsDto = {
    bytesPerMonth: number | null;
    uploadsPerDay: number | null;
};

export type MediaModerationDto = {
    /**
     * Whether the policy it was judged by flagged it.
     */
    flagged: boolean;
    /**
     * The categories at or over their threshold, and not allowed, most confident first.
     */
    flaggedCategories: Array<string>;
    /**
     * The persona whose policy judged it; null: the deployment's default.
     */
    policyOf: string | null;
    /**
     * `openai` or `rekognition`.
     */
    provider: string;
    /**
     * An admin's review, once made.
     */
    review?: MediaModerationReviewDto;
    /**
     * Every category scored, 0 to 1.
     */
    scores: {
        [key: string]: number;
    };
};

export type MediaModerationReviewDto = {
    at: string;
    /**
     * The admin who reviewed it.
     */
    by: string;
    decision: MediaReviewOutcome;
};

export type MediaOwnerDto = {
    id: string;
    kind: MediaOwnerKind;
    /**
     * A user's email, or a persona's handle.
     */
    name: string | null;
};

export type MediaOwnerKind = 'user' | 'persona';

/**
 * `upload`: a user's; `profile` or `gallery`: a persona's.
 */
export type MediaPurpose = 'upload' | 'profile' | 'gallery';

export type MediaRejectionDto = {
    /**
     * `image_too_large`, `image_unreadable` or `unsupported_media_type`; `moderation_flagged` (the detail names the categories) or `moderation_unavailable` (no verdict could be had: upload it again later).
     */
    code: string;
    detail: string;
};

/**
 * `approve` makes the file ready for its owner; `reject` confirms the rejection.
 */
export type MediaReviewDecision = 'approve' | 'reject';

export type MediaReviewDto = {
    /**
     * `approve` makes the file ready for its owner; `reject` confirms the rejection.
     */
    decision: MediaReviewDecision;
};

export type MediaReviewOutcome = 'approved' | 'rejected';

/**
 * `pending` while a direct upload is awaited, `processing` while it is checked and cleaned, then `ready` or `rejected`.
 */
export type MediaStatus = 'pending' | 'processing' | 'ready' | 'rejected';

export type MediaUploadDto = {
    /**
     * The image (image/jpeg, image/png, image/webp, image/gif, image/avif) or the voice message's audio (audio/wav, audio/webm, audio/ogg, audio/mpeg, audio/mp4), told by its bytes (its name and declared type are ignored). The last part: a part after it is refused with 400.
     */
    file: Blob | File;
    /**
     * The persona the image is meant for: its moderation policy judges it (422 when there is no such persona).
     */
    influencerId?: string;
};

export type MediaUrlsDto = {
    /**
     * An audio: the file as uploaded, with its own type.
     */
    audio?: string;
    /**
     * When the URLs stop working: ask for the media again.
     */
    expiresAt: string;
    /**
     * An image: the cleaned image.
     */
    image?: string;
    /**
     * An image: a WebP thumbnail, at most 256 px on its longer side.
     */
    thumbnail?: string;
};

export type MessageDto = {
    /**
     * Images it carries, in order: the user's uploads, or the photos a reply sent.
     */
    attachments: Array<AttachmentDto>;
    clientMessageId: string | null;
    completedAt: string | null;
    content: string;
    conversationId: string;
    createdAt: string;
    /**
     * Why a failed reply failed.
     */
    errorCode: string | null;
    finishReason: string | null;
    /**
     * Milliseconds from the request to the first token.
     */
    firstTokenMs: number | null;
    id: string;
    model: string | null;
    /**
     * The persona system prompt version used.
     */
    promptVersion: number | null;
    provider: string | null;
    /**
     * For replies: the user message answered.
     */
    replyToId: string | null;
    role: MessageRole;
    status: MessageStatus;
    usage: UsageDto | null;
};

export type MessagePageDto = {
    /**
     * Oldest first.
     */
    items: Array<MessageDto>;
    /**
     * Pass as `after` for newer messages.
     */
    newerCursor: string | null;
    /**
     * Pass as `before` for older messages.
     */
    olderCursor: string | null;
};

export type MessagePreviewDto = {
    /**
     * The first 200 characters.
     */
    content: string;
    createdAt: string;
    role: MessageRole;
};

export type MessageRole = 'user' | 'assistant';

export type MessageStatus = 'streaming' | 'completed' | 'cancelled' | 'failed';

export type MeterDto = {
    /**
     * null: unlimited.
     */
    limit: number | null;
    metric: string;
    remaining: number | null;
    /**
     * Held by replies being generated right now.
     */
    reserved: number;
    resetsAt: string;
    used: number;
};

export type ModalityMetersDto = {
    avatar: Array<MeterDto>;
    chat: Array<MeterDto>;
    media: Array<MeterDto>;
    voice: Array<MeterDto>;
};

export type ModelPolicyDto = {
    /**
     * Tried in order when the primary fails before its first token.
     */
    fallbacks: Array<ModelRefDto>;
    maxReplyTokens?: number;
    primary: ModelRefDto;
    temperature?: number;
};

export type ModelRefDto = {
    model: string;
    provider: string;
};

export type ModelRefEventDto = {
    model: string;
    provider: string;
};

export type ModerationPolicyDto = {
    /**
     * Categories never flagged for this persona (an `nsfw` persona may allow `sexual`). `sexual/minors` cannot be allowed or loosened.
     */
    allowedCategories?: Array<string>;
    /**
     * A category's score at or over its threshold flags a file; categories not listed use MODERATION_THRESHOLD_PERCENT.
     */
    thresholds?: {
        [key: string]: number;
    };
};

export type MyUsageDto = {
    /**
     * The most recent ledger events, newest first.
     */
    events: UsageEventPageDto;
    meters: ModalityMetersDto;
    /**
     * The plan, or `admin` (unlimited).
     */
    plan: string;
};

export type OpenAiErrorDetailDto = {
    /**
     * Chorus's stable code (`insufficient_quota` for a spent quota).
     */
    code: string;
    /**
     * What went wrong.
     */
    message: string;
    /**
     * The rejected field, when one is known.
     */
    param: string | null;
    /**
     * OpenAI's error type for the status.
     */
    type: string;
};

export type OpenAiErrorDto = {
    error: OpenAiErrorDetailDto;
};

export type PersonaAvatarDto = {
    /**
     * The provider's avatar (LiveAvatar: an avatar's id from GET /v1/avatars/public).
     */
    avatarId: string;
    /**
     * The language the avatar speaks (BCP 47). Omitted: `en`.
     */
    language?: string;
    /**
     * A streaming-avatar provider instance (`simulated`, or `liveavatar` when configured). Omitted: AVATAR_DEFAULT.
     */
    provider?: string;
    quality?: AvatarQuality;
};

export type PersonaMediaPurpose = 'profile' | 'gallery';

export type PersonaMediaUploadDto = {
    /**
     * Shown with the image when the persona sends it.
     */
    caption?: string;
    /**
     * The image (image/jpeg, image/png, image/webp, image/gif, image/avif), told by its bytes. The last part: a part after it is refused with 400.
     */
    file: Blob | File;
    /**
     * Only plans with premium personas receive it.
     */
    premiumOnly?: 'true' | 'false';
    purpose?: PersonaMediaPurpose;
    /**
     * Comma-separated tags the `send_media` tool picks gallery items by: trimmed and lower-cased, at most 20 of at most 32 characters.
     */
    tags?: string;
};

export type PersonaVoiceDto = {
    /**
     * OpenAI gpt-4o-mini-tts: how to speak.
     */
    instructions?: string;
    /**
     * A text-to-speech provider instance (GET /voices lists them). Omitted: TTS_DEFAULT.
     */
    provider?: string;
    /**
     * 1 is normal speed.
     */
    speed?: number;
    /**
     * ElevenLabs: how steady the voice is.
     */
    stability?: number;
    /**
     * One of the provider's voices. Omitted: the provider's default voice.
     */
    voiceId?: string;
};

export type PlanDto = {
    description: string;
    /**
     * null means unlimited.
     */
    limits: PlanLimitsDto;
    name: string;
};

export type PlanLimitsDto = {
    avatar: AvatarLimitsDto;
    chat: ChatLimitsDto;
    media: MediaLimitsDto;
    /**
     * Whether premium-only personas are open to the plan.
     */
    premiumPersonas: boolean;
    requestsPerMinute: number;
    voice: VoiceLimitsDto;
};

export type PresignedUploadDto = {
    /**
     * When the form stops working; `complete` must follow by then (unfinished uploads are deleted).
     */
    expiresAt: string;
    /**
     * The form fields, sent as they are and before the file, which goes last in a part named `file`.
     */
    fields: {
        [key: string]: string;
    };
    /**
     * Where to POST the `multipart/form-data` form.
     */
    url: string;
};

export type ProblemDocumentDto = {
    /**
     * Stable machine-readable code; branch on this, not on the text.
     */
    code: string;
    /**
     * What went wrong with this request.
     */
    detail: string;
    /**
     * The rejected fields, for validation problems.
     */
    errors?: Array<FieldErrorDto>;
    /**
     * The request id, also in the X-Request-Id response header.
     */
    requestId: string;
    /**
     * HTTP status code.
     */
    status: number;
    /**
     * Short, human-readable summary of the kind of problem.
     */
    title: string;
    /**
     * A URI naming the kind of problem.
     */
    type: string;
};

/**
 * The adapter: `openai` also serves every OpenAI-compatible server.
 */
export type ProviderKind = 'openai' | 'gemini' | 'simulated';

export type ProviderListDto = {
    items: Array<ProviderStatusDto>;
};

export type ProviderModelDto = {
    /**
     * Tokens the model reads at most (prompt and reply).
     */
    contextWindow: number;
    /**
     * The model id, as a persona model policy names it.
     */
    id: string;
    /**
     * US dollars per million input tokens.
     */
    inputUsdPerMillion: number;
    /**
     * Tokens a reply may have at most.
     */
    maxOutputTokens: number;
    /**
     * US dollars per million output tokens.
     */
    outputUsdPerMillion: number;
    /**
     * Whether the model reads images: messages with attachments need one that does.
     */
    vision: boolean;
};

export type ProviderStatusDto = {
    /**
     * `closed`: in use. `open`: failed repeatedly, skipped (its models fall back) until the cooldown ends. `half_open`: the next call is a trial that closes or reopens the circuit.
     */
    breaker: CircuitBreakerState;
    /**
     * The adapter: `openai` also serves every OpenAI-compatible server.
     */
    kind: ProviderKind;
    models: Array<ProviderModelDto>;
    /**
     * The provider name from the configuration.
     */
    name: string;
};

export type QuotaOverrideDto = {
    /**
     * Limits laid over the plan for this user, e.g. `{"chat": {"messagesPerDay": 500}}`; null removes every override.
     */
    limits: {
        [key: string]: unknown;
    } | null;
};

export type RefreshDto = {
    /**
     * The refresh token from login, register or the previous refresh.
     */
    refreshToken: string;
};

export type RegisterDto = {
    /**
     * Defaults to the part of the email before the @.
     */
    displayName?: string;
    email: string;
    password: string;
};

export type ReplyAudioEventDto = {
    bytes: number;
    contentType: string;
    /**
     * When the URL stops working: GET .../messages/{id}/audio speaks the whole reply at any time.
     */
    expiresAt: string;
    /**
     * The sentence's place in the reply's speech, from 0: play them in this order.
     */
    index: number;
    messageId: string;
    /**
     * What is spoken (without markup).
     */
    text: string;
    /**
     * Where to GET the sentence's audio (no credentials): a presigned URL of the bucket, or an API URL signed for a while (relative to the server). A URL rather than the audio inline keeps the stream light and its replays cheap.
     */
    url: string;
};

export type ReplyAudioFailedEventDto = {
    /**
     * quota_exceeded, tts_unavailable, tts_failed, speech_timeout, ...
     */
    code: string;
    detail: string;
    /**
     * The sentence that could not be spoken.
     */
    index?: number;
    messageId: string;
};

export type ReplyCompletedEventDto = {
    /**
     * The photos the reply sent, to reconcile with the `reply.media` events received.
     */
    attachments: Array<AttachmentDto>;
    /**
     * The whole reply, to reconcile with the deltas received.
     */
    content: string;
    finishReason: string;
    firstTokenMs: number | null;
    /**
     * Length of the reply in characters.
     */
    length: number;
    messageId: string;
    servedBy: ModelRefEventDto;
    status: ReplyEndStatus;
    usage: UsageDto | null;
};

export type ReplyDeltaEventDto = {
    messageId: string;
    text: string;
};

export type ReplyEndStatus = 'completed' | 'cancelled';

export type ReplyErrorEventDto = {
    /**
     * Why: providers_unavailable, provider_failed_mid_stream, reply_not_saved, ...
     */
    code: string;
    detail: string;
    messageId: string;
    /**
     * Characters streamed before the failure (kept in the stored reply).
     */
    partialLength: number;
    status: number;
    title: string;
    type: string;
};

export type ReplyMediaEventDto = {
    /**
     * The photo, kept with the reply (its `attachments`).
     */
    media: AttachmentDto;
    messageId: string;
};

export type ReplyMessageEventDto = {
    message: MessageDto;
    /**
     * The id of the reply being generated (for cancel and resume).
     */
    replyId: string;
};

export type ReplyStartedEventDto = {
    messageId: string;
    model: string;
    promptVersion: number;
    /**
     * The primary model of the persona; `servedBy` at the end says which one answered.
     */
    provider: string;
};

export type SendMessageDto = {
    /**
     * Images to send with the message: ids of your own uploads (POST /media), `ready` and not attached to another message, within the deployment's count and size limits. The persona's model must read images (422 `model_not_multimodal` otherwise). An upload belongs to the message it is sent with: deleting the message (or its conversation) deletes it.
     */
    attachments?: Array<string>;
    /**
     * A voice message: the id of your audio upload (POST /media: WAV, WebM, Ogg, MP3 or M4A, up to VOICE_MAX_SECONDS). It is transcribed (its seconds count against `voice.sttSecondsPerMonth`), the transcript becomes the message, which carries the audio. A failed transcription (502 `stt_failed`, 503 `stt_unavailable`, 422 `no_speech_recognised`) stores nothing: send the same id again.
     */
    audio?: string;
    /**
     * Chosen by the client, unique per conversation: retrying a send with the same id never generates twice.
     */
    clientMessageId: string;
    /**
     * At least one character, unless the message carries attachments (then it may be empty: a photo alone); empty or omitted with `audio`.
     */
    content?: string;
    /**
     * Speak the reply in the persona's voice while it streams: a `reply.audio` event per sentence, as soon as it is complete (its characters count against `voice.ttsCharactersPerMonth`).
     */
    speak?: boolean;
};

export type SentMessageDto = {
    message: MessageDto;
    /**
     * The reply, finished (completed, cancelled or failed).
     */
    reply: MessageDto;
};

export type SessionDto = {
    createdAt: string;
    /**
     * True for the session of the access token making this request.
     */
    current: boolean;
    expiresAt: string;
    id: string;
    ip: string | null;
    lastUsedAt: string;
    userAgent: string | null;
};

export type SpeechToTextKind = 'openai' | 'gemini' | 'pocketsphinx';

export type SpeechToTextProviderDto = {
    available: boolean;
    /**
     * Whether voice messages are transcribed by it (STT_DEFAULT).
     */
    isDefault: boolean;
    kind: SpeechToTextKind;
    model: string;
    name: string;
};

export type StartAvatarSessionDto = {
    /**
     * One of my conversations with this persona, whose replies the avatar will speak (see the README's avatar section).
     */
    conversationId?: string;
    /**
     * The persona (id or handle); it must have a live avatar (`hasLiveAvatar`).
     */
    influencerId: string;
};

export type StartedAvatarSessionDto = {
    join: AvatarJoinDto;
    session: AvatarSessionDto;
};

export type TextToSpeechKind = 'openai' | 'elevenlabs' | 'espeak-ng';

export type TextToSpeechProviderDto = {
    /**
     * Whether it can speak here (a local engine: installed).
     */
    available: boolean;
    /**
     * The voice of personas that name none.
     */
    defaultVoice: string;
    /**
     * What it speaks, the default first.
     */
    formats: Array<AudioFormat>;
    /**
     * Whether personas without a voice of their own speak with it (TTS_DEFAULT).
     */
    isDefault: boolean;
    kind: TextToSpeechKind;
    model: string;
    /**
     * What a persona's `voice.provider` names.
     */
    name: string;
};

export type TokensDto = {
    /**
     * JWT to send as `Authorization: Bearer <token>`.
     */
    accessToken: string;
    accessTokenExpiresAt: string;
    /**
     * Opaque; exchange it at POST /auth/refresh. Each one works once.
     */
    refreshToken: string;
    refreshTokenExpiresAt: string;
    tokenType: 'Bearer';
};

export type UpdateConversationDto = {
    title: string;
};

export type UpdateInfluencerDto = {
    /**
     * The persona's live avatar (POST /avatar/sessions). Null or omitted: none.
     */
    avatar?: PersonaAvatarDto | null;
    avatarUrl?: string;
    bio?: string;
    category?: string;
    displayName?: string;
    greeting?: string;
    /**
     * Lowercase letters, digits and dashes; unique.
     */
    handle?: string;
    /**
     * Defaults to DEFAULT_MODEL with no fallbacks.
     */
    modelPolicy?: ModelPolicyDto;
    /**
     * How strictly media sent to this persona is moderated. Category names are lower case (`sexual`, `violence`, `self-harm`...; names given are lower-cased). Null or omitted: the deployment's default.
     */
    moderationPolicy?: ModerationPolicyDto | null;
    nsfw?: boolean;
    premiumOnly?: boolean;
    status?: InfluencerStatus;
    suggestedOpeners?: Array<string>;
    /**
     * Instructions for the model; admins only. Editing it creates a new version.
     */
    systemPrompt?: string;
    traits?: Array<string>;
    /**
     * How the persona speaks its replies. Null or omitted: TTS_DEFAULT's default voice.
     */
    voice?: PersonaVoiceDto | null;
};

export type UpdateProfileDto = {
    displayName?: string;
    /**
     * Free-form client settings, replaced as a whole; at most 4096 bytes of JSON.
     */
    preferences?: {
        [key: string]: unknown;
    };
};

export type UsageAggregateDto = {
    /**
     * Micro-dollars.
     */
    costMicros: number;
    day: string;
    events: number;
    inputTokens: number;
    messages: number;
    model: string | null;
    outputTokens: number;
    provider: string | null;
    userId: string;
};

export type UsageDto = {
    cachedInputTokens?: number;
    inputTokens: number;
    outputTokens: number;
    reasoningTokens?: number;
};

export type UsageEventDto = {
    cachedInputTokens: number;
    conversationId: string | null;
    /**
     * Micro-dollars.
     */
    costMicros: number;
    createdAt: string;
    id: string;
    inputTokens: number;
    /**
     * The upload a media event counts.
     */
    mediaId: string | null;
    messageId: string | null;
    /**
     * `chat` (a reply) or `media` (an upload).
     */
    modality: string;
    model: string | null;
    outputTokens: number;
    provider: string | null;
    /**
     * Messages for chat, bytes for media.
     */
    quantity: number;
    reasoningTokens: number;
};

export type UsageEventPageDto = {
    items: Array<UsageEventDto>;
    nextCursor: string | null;
};

export type UserDto = {
    createdAt: string;
    displayName: string;
    email: string;
    id: string;
    lastLoginAt: string | null;
    plan: string;
    preferences: {
        [key: string]: unknown;
    };
    role: UserRole;
    status: UserStatus;
    updatedAt: string;
};

export type UserRole = 'user' | 'admin';

export type UserStatus = 'active' | 'banned';

export type VoiceCatalogueDto = {
    speechToText: Array<SpeechToTextProviderDto>;
    textToSpeech: Array<TextToSpeechProviderDto>;
    /**
     * The voices of the available text-to-speech providers (one that cannot be asked now is left out).
     */
    voices: Array<VoiceDto>;
};

export type VoiceDto = {
    language?: string;
    name: string;
    provider: string;
    /**
     * What a persona's `voice.voiceId` names.
     */
    voiceId: string;
};

export type VoiceLimitsDto = {
    sttSecondsPerMonth: number | null;
    ttsCharactersPerMonth: number | null;
};

export type UploadPersonaMediaData = {
    body: PersonaMediaUploadDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/admin/influencers/{id}/media';
};

export type UploadPersonaMediaErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `upload_stalled`: Upload stalled
     */
    408: ProblemDocumentDto;
    /**
     * `payload_too_large`: The request body is too large
     */
    413: ProblemDocumentDto;
    /**
     * `unsupported_media_type`: Unsupported media type
     */
    415: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UploadPersonaMediaError = UploadPersonaMediaErrors[keyof UploadPersonaMediaErrors];

export type UploadPersonaMediaResponses = {
    /**
     * Received; being processed.
     */
    202: MediaDto;
};

export type UploadPersonaMediaResponse = UploadPersonaMediaResponses[keyof UploadPersonaMediaResponses];

export type DeletePersonaMediaData = {
    body?: never;
    path: {
        id: string;
        mediaId: string;
    };
    query?: never;
    url: '/api/v1/admin/influencers/{id}/media/{mediaId}';
};

export type DeletePersonaMediaErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeletePersonaMediaError = DeletePersonaMediaErrors[keyof DeletePersonaMediaErrors];

export type DeletePersonaMediaResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeletePersonaMediaResponse = DeletePersonaMediaResponses[keyof DeletePersonaMediaResponses];

export type ListMediaData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
        status?: MediaStatus;
        /**
         * Only rejections with this code.
         */
        rejectionCode?: string;
        /**
         * `false`: only files no admin has reviewed yet; `true`: only reviewed ones.
         */
        reviewed?: boolean;
    };
    url: '/api/v1/admin/media';
};

export type ListMediaErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListMediaError = ListMediaErrors[keyof ListMediaErrors];

export type ListMediaResponses = {
    200: {
        items: Array<AdminMediaDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListMediaResponse = ListMediaResponses[keyof ListMediaResponses];

export type ReviewMediaData = {
    body: MediaReviewDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/admin/media/{id}/review';
};

export type ReviewMediaErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `media_not_reviewable`: Media not reviewable
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ReviewMediaError = ReviewMediaErrors[keyof ReviewMediaErrors];

export type ReviewMediaResponses = {
    200: AdminMediaDto;
};

export type ReviewMediaResponse = ReviewMediaResponses[keyof ReviewMediaResponses];

export type ListUsageData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
        from?: string;
        to?: string;
        userId?: string;
        provider?: string;
        model?: string;
    };
    url: '/api/v1/admin/usage';
};

export type ListUsageErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListUsageError = ListUsageErrors[keyof ListUsageErrors];

export type ListUsageResponses = {
    200: {
        items: Array<UsageAggregateDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListUsageResponse = ListUsageResponses[keyof ListUsageResponses];

export type ListUsersData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
        /**
         * Only users whose email contains this text (any letter case).
         */
        email?: string;
    };
    url: '/api/v1/admin/users';
};

export type ListUsersErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListUsersError = ListUsersErrors[keyof ListUsersErrors];

export type ListUsersResponses = {
    200: {
        items: Array<UserDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListUsersResponse = ListUsersResponses[keyof ListUsersResponses];

export type GetUserData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/admin/users/{id}';
};

export type GetUserErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetUserError = GetUserErrors[keyof GetUserErrors];

export type GetUserResponses = {
    200: UserDto;
};

export type GetUserResponse = GetUserResponses[keyof GetUserResponses];

export type UpdateUserData = {
    body: AdminUpdateUserDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/admin/users/{id}';
};

export type UpdateUserErrors = {
    /**
     * `validation_failed`: The request is not valid; `unknown_plan`: Unknown plan
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `last_admin`: The last admin cannot be removed
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UpdateUserError = UpdateUserErrors[keyof UpdateUserErrors];

export type UpdateUserResponses = {
    200: UserDto;
};

export type UpdateUserResponse = UpdateUserResponses[keyof UpdateUserResponses];

export type UpdateUserQuotaData = {
    body: QuotaOverrideDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/admin/users/{id}/quota';
};

export type UpdateUserQuotaErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UpdateUserQuotaError = UpdateUserQuotaErrors[keyof UpdateUserQuotaErrors];

export type UpdateUserQuotaResponses = {
    200: EffectiveLimitsDto;
};

export type UpdateUserQuotaResponse = UpdateUserQuotaResponses[keyof UpdateUserQuotaResponses];

export type LoginData = {
    body: LoginDto;
    path?: never;
    query?: never;
    url: '/api/v1/auth/login';
};

export type LoginErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `invalid_credentials`: Invalid credentials
     */
    401: ProblemDocumentDto;
    /**
     * `account_banned`: Account banned
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type LoginError = LoginErrors[keyof LoginErrors];

export type LoginResponses = {
    200: AuthResultDto;
};

export type LoginResponse = LoginResponses[keyof LoginResponses];

export type LogoutData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/auth/logout';
};

export type LogoutErrors = {
    /**
     * `not_a_session`: Not signed in with a session
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type LogoutError = LogoutErrors[keyof LogoutErrors];

export type LogoutResponses = {
    /**
     * Signed out.
     */
    204: void;
};

export type LogoutResponse = LogoutResponses[keyof LogoutResponses];

export type LogoutAllData = {
    body?: LogoutAllDto;
    path?: never;
    query?: never;
    url: '/api/v1/auth/logout-all';
};

export type LogoutAllErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type LogoutAllError = LogoutAllErrors[keyof LogoutAllErrors];

export type LogoutAllResponses = {
    /**
     * Signed out of every session.
     */
    204: void;
};

export type LogoutAllResponse = LogoutAllResponses[keyof LogoutAllResponses];

export type RefreshTokensData = {
    body: RefreshDto;
    path?: never;
    query?: never;
    url: '/api/v1/auth/refresh';
};

export type RefreshTokensErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `invalid_refresh_token`: Invalid refresh token; `refresh_token_reused`: Refresh token reused
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type RefreshTokensError = RefreshTokensErrors[keyof RefreshTokensErrors];

export type RefreshTokensResponses = {
    200: TokensDto;
};

export type RefreshTokensResponse = RefreshTokensResponses[keyof RefreshTokensResponses];

export type RegisterData = {
    body: RegisterDto;
    path?: never;
    query?: never;
    url: '/api/v1/auth/register';
};

export type RegisterErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `registration_disabled`: Registration is closed
     */
    403: ProblemDocumentDto;
    /**
     * `email_taken`: Email already registered
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type RegisterError = RegisterErrors[keyof RegisterErrors];

export type RegisterResponses = {
    201: AuthResultDto;
};

export type RegisterResponse = RegisterResponses[keyof RegisterResponses];

export type ListAvatarSessionsData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
    };
    url: '/api/v1/avatar/sessions';
};

export type ListAvatarSessionsErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListAvatarSessionsError = ListAvatarSessionsErrors[keyof ListAvatarSessionsErrors];

export type ListAvatarSessionsResponses = {
    200: {
        items: Array<AvatarSessionDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListAvatarSessionsResponse = ListAvatarSessionsResponses[keyof ListAvatarSessionsResponses];

export type StartAvatarSessionData = {
    body: StartAvatarSessionDto;
    path?: never;
    query?: never;
    url: '/api/v1/avatar/sessions';
};

export type StartAvatarSessionErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `plan_required`: A higher plan is required
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `avatar_unavailable`: This persona has no live avatar; `avatar_session_limit`: Too many avatar sessions
     */
    409: ProblemDocumentDto;
    /**
     * `conversation_persona_mismatch`: The conversation is with another persona
     */
    422: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `avatar_provider_failed`: Avatar provider failed
     */
    502: ProblemDocumentDto;
    /**
     * `avatar_provider_unavailable`: Avatar provider unavailable; `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type StartAvatarSessionError = StartAvatarSessionErrors[keyof StartAvatarSessionErrors];

export type StartAvatarSessionResponses = {
    201: StartedAvatarSessionDto;
};

export type StartAvatarSessionResponse = StartAvatarSessionResponses[keyof StartAvatarSessionResponses];

export type GetAvatarSessionData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/avatar/sessions/{id}';
};

export type GetAvatarSessionErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetAvatarSessionError = GetAvatarSessionErrors[keyof GetAvatarSessionErrors];

export type GetAvatarSessionResponses = {
    200: AvatarSessionDto;
};

export type GetAvatarSessionResponse = GetAvatarSessionResponses[keyof GetAvatarSessionResponses];

export type KeepAvatarSessionAliveData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/avatar/sessions/{id}/keep-alive';
};

export type KeepAvatarSessionAliveErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `avatar_session_ended`: The avatar session has ended
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `avatar_provider_failed`: Avatar provider failed
     */
    502: ProblemDocumentDto;
    /**
     * `avatar_provider_unavailable`: Avatar provider unavailable; `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type KeepAvatarSessionAliveError = KeepAvatarSessionAliveErrors[keyof KeepAvatarSessionAliveErrors];

export type KeepAvatarSessionAliveResponses = {
    200: AvatarSessionDto;
};

export type KeepAvatarSessionAliveResponse = KeepAvatarSessionAliveResponses[keyof KeepAvatarSessionAliveResponses];

export type StopAvatarSessionData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/avatar/sessions/{id}/stop';
};

export type StopAvatarSessionErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type StopAvatarSessionError = StopAvatarSessionErrors[keyof StopAvatarSessionErrors];

export type StopAvatarSessionResponses = {
    200: AvatarSessionDto;
};

export type StopAvatarSessionResponse = StopAvatarSessionResponses[keyof StopAvatarSessionResponses];

export type ListConversationsData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
    };
    url: '/api/v1/conversations';
};

export type ListConversationsErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListConversationsError = ListConversationsErrors[keyof ListConversationsErrors];

export type ListConversationsResponses = {
    200: {
        items: Array<ConversationDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListConversationsResponse = ListConversationsResponses[keyof ListConversationsResponses];

export type CreateConversationData = {
    body: CreateConversationDto;
    path?: never;
    query?: never;
    url: '/api/v1/conversations';
};

export type CreateConversationErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `plan_required`: A higher plan is required
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CreateConversationError = CreateConversationErrors[keyof CreateConversationErrors];

export type CreateConversationResponses = {
    201: ConversationWithGreetingDto;
};

export type CreateConversationResponse = CreateConversationResponses[keyof CreateConversationResponses];

export type DeleteConversationData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}';
};

export type DeleteConversationErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeleteConversationError = DeleteConversationErrors[keyof DeleteConversationErrors];

export type DeleteConversationResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeleteConversationResponse = DeleteConversationResponses[keyof DeleteConversationResponses];

export type GetConversationData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}';
};

export type GetConversationErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetConversationError = GetConversationErrors[keyof GetConversationErrors];

export type GetConversationResponses = {
    200: ConversationDto;
};

export type GetConversationResponse = GetConversationResponses[keyof GetConversationResponses];

export type UpdateConversationData = {
    body: UpdateConversationDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}';
};

export type UpdateConversationErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UpdateConversationError = UpdateConversationErrors[keyof UpdateConversationErrors];

export type UpdateConversationResponses = {
    200: ConversationDto;
};

export type UpdateConversationResponse = UpdateConversationResponses[keyof UpdateConversationResponses];

export type ListMessagesData = {
    body?: never;
    path: {
        id: string;
    };
    query?: {
        limit?: number;
        /**
         * Messages older than this cursor (`olderCursor` of a page). Omit both for the newest page.
         */
        before?: string;
        /**
         * Messages newer than this cursor (`newerCursor` of a page).
         */
        after?: string;
    };
    url: '/api/v1/conversations/{id}/messages';
};

export type ListMessagesErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListMessagesError = ListMessagesErrors[keyof ListMessagesErrors];

export type ListMessagesResponses = {
    200: MessagePageDto;
};

export type ListMessagesResponse = ListMessagesResponses[keyof ListMessagesResponses];

export type SendMessageData = {
    body: SendMessageDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}/messages';
};

export type SendMessageErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `plan_required`: A higher plan is required
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `persona_unavailable`: Persona unavailable; `media_not_ready`: Media not ready; `media_already_attached`: Media already attached
     */
    409: ProblemDocumentDto;
    /**
     * `model_not_multimodal`: Model does not read images; `media_rejected`: Media rejected; `too_many_attachments`: Too many attachments; `attachments_too_large`: Attachments too large; `media_not_audio`: Media not audio; `no_speech_recognised`: No speech recognised
     */
    422: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `stt_failed`: Transcription failed
     */
    502: ProblemDocumentDto;
    /**
     * `stt_unavailable`: Speech-to-text unavailable; `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type SendMessageError = SendMessageErrors[keyof SendMessageErrors];

export type SendMessageResponses = {
    /**
     * The event stream with `Accept: text/event-stream`; otherwise the message and its finished reply.
     */
    200: SentMessageDto;
};

export type SendMessageResponse = SendMessageResponses[keyof SendMessageResponses];

export type GetReplyAudioData = {
    body?: never;
    path: {
        id: string;
        /**
         * The reply (assistant message).
         */
        messageId: string;
    };
    query?: {
        /**
         * One the persona's provider speaks (GET /voices); omitted: its first.
         */
        format?: AudioFormat;
    };
    url: '/api/v1/conversations/{id}/messages/{messageId}/audio';
};

export type GetReplyAudioErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `audio_format_unavailable`: Audio format unavailable
     */
    406: ProblemDocumentDto;
    /**
     * `reply_in_progress`: Reply in progress
     */
    409: ProblemDocumentDto;
    /**
     * `nothing_to_speak`: Nothing to speak; `speech_too_long`: Text too long to speak
     */
    422: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `tts_failed`: Speech synthesis failed
     */
    502: ProblemDocumentDto;
    /**
     * `tts_unavailable`: Text-to-speech unavailable; `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetReplyAudioError = GetReplyAudioErrors[keyof GetReplyAudioErrors];

export type GetReplyAudioResponses = {
    /**
     * The audio.
     */
    200: Blob | File;
};

export type GetReplyAudioResponse = GetReplyAudioResponses[keyof GetReplyAudioResponses];

export type CancelReplyData = {
    body?: never;
    path: {
        id: string;
        /**
         * The reply (assistant message).
         */
        messageId: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}/messages/{messageId}/cancel';
};

export type CancelReplyErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CancelReplyError = CancelReplyErrors[keyof CancelReplyErrors];

export type CancelReplyResponses = {
    200: MessageDto;
};

export type CancelReplyResponse = CancelReplyResponses[keyof CancelReplyResponses];

export type RegenerateReplyData = {
    body?: never;
    path: {
        id: string;
        /**
         * The reply to regenerate.
         */
        messageId: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}/messages/{messageId}/regenerate';
};

export type RegenerateReplyErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `plan_required`: A higher plan is required
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `reply_in_progress`: Reply in progress; `persona_unavailable`: Persona unavailable
     */
    409: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type RegenerateReplyError = RegenerateReplyErrors[keyof RegenerateReplyErrors];

export type RegenerateReplyResponses = {
    /**
     * The event stream with `Accept: text/event-stream`; otherwise the message and its finished reply.
     */
    200: SentMessageDto;
};

export type RegenerateReplyResponse = RegenerateReplyResponses[keyof RegenerateReplyResponses];

export type StreamReplyData = {
    body?: never;
    headers?: {
        /**
         * The id of the last event received.
         */
        'Last-Event-ID'?: string;
    };
    path: {
        id: string;
        /**
         * The reply (assistant message).
         */
        messageId: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}/messages/{messageId}/stream';
};

export type StreamReplyErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `reply_in_progress`: Reply in progress
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type StreamReplyError = StreamReplyErrors[keyof StreamReplyErrors];

export type StreamReplyResponses = {
    /**
     * Server-sent events; the `data` of each is the schema its event name says.
     */
    200: ReplyMessageEventDto | ReplyStartedEventDto | ReplyDeltaEventDto | ReplyMediaEventDto | ReplyAudioEventDto | ReplyAudioFailedEventDto | ReplyCompletedEventDto | ReplyErrorEventDto;
};

export type StreamReplyResponse = StreamReplyResponses[keyof StreamReplyResponses];

export type MarkConversationReadData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/conversations/{id}/read';
};

export type MarkConversationReadErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type MarkConversationReadError = MarkConversationReadErrors[keyof MarkConversationReadErrors];

export type MarkConversationReadResponses = {
    200: ConversationDto;
};

export type MarkConversationReadResponse = MarkConversationReadResponses[keyof MarkConversationReadResponses];

export type ListInfluencersData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
        /**
         * Matches part of the name or handle.
         */
        search?: string;
        category?: string;
        /**
         * Admins only; others always see active personas.
         */
        status?: InfluencerStatus;
    };
    url: '/api/v1/influencers';
};

export type ListInfluencersErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListInfluencersError = ListInfluencersErrors[keyof ListInfluencersErrors];

export type ListInfluencersResponses = {
    200: {
        items: Array<InfluencerDto>;
        /**
         * Pass as `cursor` to get the next page.
         */
        nextCursor: string | null;
    };
};

export type ListInfluencersResponse = ListInfluencersResponses[keyof ListInfluencersResponses];

export type CreateInfluencerData = {
    body: CreateInfluencerDto;
    path?: never;
    query?: never;
    url: '/api/v1/influencers';
};

export type CreateInfluencerErrors = {
    /**
     * `validation_failed`: The request is not valid; `unknown_model`: Unknown model
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `handle_taken`: Handle already in use
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CreateInfluencerError = CreateInfluencerErrors[keyof CreateInfluencerErrors];

export type CreateInfluencerResponses = {
    201: InfluencerDto;
};

export type CreateInfluencerResponse = CreateInfluencerResponses[keyof CreateInfluencerResponses];

export type ListTrendingInfluencersData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/influencers/trending';
};

export type ListTrendingInfluencersErrors = {
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListTrendingInfluencersError = ListTrendingInfluencersErrors[keyof ListTrendingInfluencersErrors];

export type ListTrendingInfluencersResponses = {
    200: Array<InfluencerDto>;
};

export type ListTrendingInfluencersResponse = ListTrendingInfluencersResponses[keyof ListTrendingInfluencersResponses];

export type DeleteInfluencerData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/influencers/{id}';
};

export type DeleteInfluencerErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeleteInfluencerError = DeleteInfluencerErrors[keyof DeleteInfluencerErrors];

export type DeleteInfluencerResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeleteInfluencerResponse = DeleteInfluencerResponses[keyof DeleteInfluencerResponses];

export type GetInfluencerData = {
    body?: never;
    path: {
        /**
         * The persona's id (uuid) or handle.
         */
        id: string;
    };
    query?: never;
    url: '/api/v1/influencers/{id}';
};

export type GetInfluencerErrors = {
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetInfluencerError = GetInfluencerErrors[keyof GetInfluencerErrors];

export type GetInfluencerResponses = {
    200: InfluencerDto;
};

export type GetInfluencerResponse = GetInfluencerResponses[keyof GetInfluencerResponses];

export type UpdateInfluencerData = {
    body: UpdateInfluencerDto;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/influencers/{id}';
};

export type UpdateInfluencerErrors = {
    /**
     * `validation_failed`: The request is not valid; `unknown_model`: Unknown model
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `handle_taken`: Handle already in use
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UpdateInfluencerError = UpdateInfluencerErrors[keyof UpdateInfluencerErrors];

export type UpdateInfluencerResponses = {
    200: InfluencerDto;
};

export type UpdateInfluencerResponse = UpdateInfluencerResponses[keyof UpdateInfluencerResponses];

export type ListPersonaMediaData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/influencers/{id}/media';
};

export type ListPersonaMediaErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListPersonaMediaError = ListPersonaMediaErrors[keyof ListPersonaMediaErrors];

export type ListPersonaMediaResponses = {
    200: Array<MediaDto>;
};

export type ListPersonaMediaResponse = ListPersonaMediaResponses[keyof ListPersonaMediaResponses];

export type DeleteMeData = {
    body: DeleteAccountDto;
    path?: never;
    query?: never;
    url: '/api/v1/me';
};

export type DeleteMeErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `wrong_password`: Wrong password
     */
    403: ProblemDocumentDto;
    /**
     * `last_admin`: The last admin cannot be removed
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeleteMeError = DeleteMeErrors[keyof DeleteMeErrors];

export type DeleteMeResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeleteMeResponse = DeleteMeResponses[keyof DeleteMeResponses];

export type GetMeData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/me';
};

export type GetMeErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetMeError = GetMeErrors[keyof GetMeErrors];

export type GetMeResponses = {
    200: UserDto;
};

export type GetMeResponse = GetMeResponses[keyof GetMeResponses];

export type UpdateMeData = {
    body: UpdateProfileDto;
    path?: never;
    query?: never;
    url: '/api/v1/me';
};

export type UpdateMeErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UpdateMeError = UpdateMeErrors[keyof UpdateMeErrors];

export type UpdateMeResponses = {
    200: UserDto;
};

export type UpdateMeResponse = UpdateMeResponses[keyof UpdateMeResponses];

export type ListApiKeysData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/me/api-keys';
};

export type ListApiKeysErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListApiKeysError = ListApiKeysErrors[keyof ListApiKeysErrors];

export type ListApiKeysResponses = {
    200: Array<ApiKeyDto>;
};

export type ListApiKeysResponse = ListApiKeysResponses[keyof ListApiKeysResponses];

export type CreateApiKeyData = {
    body: CreateApiKeyDto;
    path?: never;
    query?: never;
    url: '/api/v1/me/api-keys';
};

export type CreateApiKeyErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `api_key_limit`: Too many API keys
     */
    409: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CreateApiKeyError = CreateApiKeyErrors[keyof CreateApiKeyErrors];

export type CreateApiKeyResponses = {
    201: CreatedApiKeyDto;
};

export type CreateApiKeyResponse = CreateApiKeyResponses[keyof CreateApiKeyResponses];

export type DeleteApiKeyData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/me/api-keys/{id}';
};

export type DeleteApiKeyErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeleteApiKeyError = DeleteApiKeyErrors[keyof DeleteApiKeyErrors];

export type DeleteApiKeyResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeleteApiKeyResponse = DeleteApiKeyResponses[keyof DeleteApiKeyResponses];

export type StreamInboxData = {
    body?: never;
    headers?: {
        /**
         * The id of the last event received: the events kept since are replayed first.
         */
        'Last-Event-ID'?: string;
    };
    path?: never;
    query?: {
        /**
         * The id of the last event received, for clients that cannot send the `Last-Event-ID` header (which wins). An id that is not one is ignored: the stream starts live.
         */
        lastEventId?: string;
    };
    url: '/api/v1/me/events';
};

export type StreamInboxErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type StreamInboxError = StreamInboxErrors[keyof StreamInboxErrors];

export type StreamInboxResponses = {
    /**
     * Server-sent events; the `data` of each is one of these.
     */
    200: InboxMessageCreatedEventDto | InboxReplyStatusEventDto | InboxConversationUnreadEventDto | InboxMediaStatusEventDto | InboxStreamEndEventDto;
};

export type StreamInboxResponse = StreamInboxResponses[keyof StreamInboxResponses];

export type ChangePasswordData = {
    body: ChangePasswordDto;
    path?: never;
    query?: never;
    url: '/api/v1/me/password';
};

export type ChangePasswordErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `wrong_password`: Wrong password
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ChangePasswordError = ChangePasswordErrors[keyof ChangePasswordErrors];

export type ChangePasswordResponses = {
    /**
     * Password changed.
     */
    204: void;
};

export type ChangePasswordResponse = ChangePasswordResponses[keyof ChangePasswordResponses];

export type ListSessionsData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/me/sessions';
};

export type ListSessionsErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListSessionsError = ListSessionsErrors[keyof ListSessionsErrors];

export type ListSessionsResponses = {
    200: Array<SessionDto>;
};

export type ListSessionsResponse = ListSessionsResponses[keyof ListSessionsResponses];

export type RevokeSessionData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/me/sessions/{id}';
};

export type RevokeSessionErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type RevokeSessionError = RevokeSessionErrors[keyof RevokeSessionErrors];

export type RevokeSessionResponses = {
    /**
     * Session ended.
     */
    204: void;
};

export type RevokeSessionResponse = RevokeSessionResponses[keyof RevokeSessionResponses];

export type GetMyUsageData = {
    body?: never;
    path?: never;
    query?: {
        /**
         * Items per page.
         */
        limit?: number;
        /**
         * The `nextCursor` of the previous page; omit for the first page.
         */
        cursor?: string;
    };
    url: '/api/v1/me/usage';
};

export type GetMyUsageErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetMyUsageError = GetMyUsageErrors[keyof GetMyUsageErrors];

export type GetMyUsageResponses = {
    200: MyUsageDto;
};

export type GetMyUsageResponse = GetMyUsageResponses[keyof GetMyUsageResponses];

export type UploadMediaData = {
    body: MediaUploadDto;
    path?: never;
    query?: never;
    url: '/api/v1/media';
};

export type UploadMediaErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `upload_stalled`: Upload stalled
     */
    408: ProblemDocumentDto;
    /**
     * `payload_too_large`: The request body is too large
     */
    413: ProblemDocumentDto;
    /**
     * `unsupported_media_type`: Unsupported media type
     */
    415: ProblemDocumentDto;
    /**
     * `unknown_persona`: Unknown persona; `audio_unreadable`: Audio unreadable; `audio_too_long`: Audio too long
     */
    422: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type UploadMediaError = UploadMediaErrors[keyof UploadMediaErrors];

export type UploadMediaResponses = {
    /**
     * Received: an image being processed, or audio ready.
     */
    202: MediaDto;
};

export type UploadMediaResponse = UploadMediaResponses[keyof UploadMediaResponses];

export type CreateDirectUploadData = {
    body: CreateDirectUploadDto;
    path?: never;
    query?: never;
    url: '/api/v1/media/uploads';
};

export type CreateDirectUploadErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `direct_upload_unavailable`: Direct upload unavailable
     */
    409: ProblemDocumentDto;
    /**
     * `payload_too_large`: The request body is too large
     */
    413: ProblemDocumentDto;
    /**
     * `unknown_persona`: Unknown persona
     */
    422: ProblemDocumentDto;
    /**
     * `quota_exceeded`: Quota exceeded; `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CreateDirectUploadError = CreateDirectUploadErrors[keyof CreateDirectUploadErrors];

export type CreateDirectUploadResponses = {
    201: DirectUploadDto;
};

export type CreateDirectUploadResponse = CreateDirectUploadResponses[keyof CreateDirectUploadResponses];

export type DeleteMediaData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/media/{id}';
};

export type DeleteMediaErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DeleteMediaError = DeleteMediaErrors[keyof DeleteMediaErrors];

export type DeleteMediaResponses = {
    /**
     * Deleted.
     */
    204: void;
};

export type DeleteMediaResponse = DeleteMediaResponses[keyof DeleteMediaResponses];

export type GetMediaData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/media/{id}';
};

export type GetMediaErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetMediaError = GetMediaErrors[keyof GetMediaErrors];

export type GetMediaResponses = {
    200: MediaDto;
};

export type GetMediaResponse = GetMediaResponses[keyof GetMediaResponses];

export type CompleteDirectUploadData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/api/v1/media/{id}/complete';
};

export type CompleteDirectUploadErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `upload_incomplete`: Upload incomplete
     */
    409: ProblemDocumentDto;
    /**
     * `payload_too_large`: The request body is too large
     */
    413: ProblemDocumentDto;
    /**
     * `unsupported_media_type`: Unsupported media type
     */
    415: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type CompleteDirectUploadError = CompleteDirectUploadErrors[keyof CompleteDirectUploadErrors];

export type CompleteDirectUploadResponses = {
    /**
     * Received; being processed.
     */
    202: MediaDto;
};

export type CompleteDirectUploadResponse = CompleteDirectUploadResponses[keyof CompleteDirectUploadResponses];

export type DownloadMediaContentData = {
    body?: never;
    path: {
        id: string;
    };
    query: {
        /**
         * Unix seconds after which the URL stops working.
         */
        expires: number;
        signature: string;
        variant: 'image' | 'thumbnail' | 'audio';
    };
    url: '/api/v1/media/{id}/content';
};

export type DownloadMediaContentErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `media_url_invalid`: Media URL invalid or expired
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DownloadMediaContentError = DownloadMediaContentErrors[keyof DownloadMediaContentErrors];

export type DownloadMediaContentResponses = {
    /**
     * The file.
     */
    200: Blob | File;
};

export type DownloadMediaContentResponse = DownloadMediaContentResponses[keyof DownloadMediaContentResponses];

export type ListPlansData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/plans';
};

export type ListPlansErrors = {
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListPlansError = ListPlansErrors[keyof ListPlansErrors];

export type ListPlansResponses = {
    200: Array<PlanDto>;
};

export type ListPlansResponse = ListPlansResponses[keyof ListPlansResponses];

export type ListProvidersData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/providers';
};

export type ListProvidersErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `forbidden`: This action is not allowed
     */
    403: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListProvidersError = ListProvidersErrors[keyof ListProvidersErrors];

export type ListProvidersResponses = {
    200: ProviderListDto;
};

export type ListProvidersResponse = ListProvidersResponses[keyof ListProvidersResponses];

export type DownloadSpeechData = {
    body?: never;
    path: {
        key: string;
    };
    query: {
        /**
         * Unix seconds after which the URL stops working.
         */
        expires: number;
        signature: string;
    };
    url: '/api/v1/speech/{key}';
};

export type DownloadSpeechErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: ProblemDocumentDto;
    /**
     * `media_url_invalid`: Media URL invalid or expired
     */
    403: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type DownloadSpeechError = DownloadSpeechErrors[keyof DownloadSpeechErrors];

export type DownloadSpeechResponses = {
    /**
     * The audio.
     */
    200: Blob | File;
};

export type DownloadSpeechResponse = DownloadSpeechResponses[keyof DownloadSpeechResponses];

export type ListVoicesData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/api/v1/voices';
};

export type ListVoicesErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type ListVoicesError = ListVoicesErrors[keyof ListVoicesErrors];

export type ListVoicesResponses = {
    200: VoiceCatalogueDto;
};

export type ListVoicesResponse = ListVoicesResponses[keyof ListVoicesResponses];

export type GetLivenessData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/health/live';
};

export type GetLivenessErrors = {
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
};

export type GetLivenessError = GetLivenessErrors[keyof GetLivenessErrors];

export type GetLivenessResponses = {
    200: HealthDto;
};

export type GetLivenessResponse = GetLivenessResponses[keyof GetLivenessResponses];

export type GetReadinessData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/health/ready';
};

export type GetReadinessErrors = {
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: ProblemDocumentDto;
};

export type GetReadinessError = GetReadinessErrors[keyof GetReadinessErrors];

export type GetReadinessResponses = {
    200: HealthDto;
};

export type GetReadinessResponse = GetReadinessResponses[keyof GetReadinessResponses];

export type GetMetricsData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/metrics';
};

export type GetMetricsErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: ProblemDocumentDto;
    /**
     * `not_found`: Not found
     */
    404: ProblemDocumentDto;
    /**
     * `internal_error`: Internal server error
     */
    500: ProblemDocumentDto;
};

export type GetMetricsError = GetMetricsErrors[keyof GetMetricsErrors];

export type GetMetricsResponses = {
    /**
     * The metrics, in the Prometheus text exposition format 0.0.4.
     */
    200: string;
};

export type GetMetricsResponse = GetMetricsResponses[keyof GetMetricsResponses];

export type CreateChatCompletionData = {
    body: {
        max_completion_tokens?: number;
        max_tokens?: number;
        messages: Array<{
            content: string;
            role: 'system' | 'user' | 'assistant';
        }>;
        /**
         * `persona/<handle>`; admins may also name `<provider>/<model>`.
         */
        model: string;
        stream?: boolean;
        stream_options?: {
            include_usage?: boolean;
        };
        temperature?: number;
        [key: string]: unknown;
    };
    headers?: {
        /**
         * With a conversation: retries with the same key never generate twice.
         */
        'Idempotency-Key'?: string;
        /**
         * Store the exchange in this conversation of yours.
         */
        'X-Chorus-Conversation-Id'?: string;
    };
    path?: never;
    query?: never;
    url: '/openai/v1/chat/completions';
};

export type CreateChatCompletionErrors = {
    /**
     * `validation_failed`: The request is not valid; `invalid_request`: Invalid request
     */
    400: OpenAiErrorDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `model_not_found`: Model not found
     */
    404: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `generation_failed`: The reply could not be generated
     */
    502: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type CreateChatCompletionError = CreateChatCompletionErrors[keyof CreateChatCompletionErrors];

export type CreateChatCompletionResponses = {
    /**
     * An OpenAI chat completion, or its chunk stream.
     */
    200: {
        [key: string]: unknown;
    };
};

export type CreateChatCompletionResponse = CreateChatCompletionResponses[keyof CreateChatCompletionResponses];

export type ListOpenAiModelsData = {
    body?: never;
    path?: never;
    query?: never;
    url: '/openai/v1/models';
};

export type ListOpenAiModelsErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type ListOpenAiModelsError = ListOpenAiModelsErrors[keyof ListOpenAiModelsErrors];

export type ListOpenAiModelsResponses = {
    /**
     * An OpenAI model list.
     */
    200: {
        data?: Array<{
            [key: string]: unknown;
        }>;
        object?: string;
    };
};

export type ListOpenAiModelsResponse = ListOpenAiModelsResponses[keyof ListOpenAiModelsResponses];

export type CreateResponseData = {
    body: {
        input: string | Array<{
            content?: string | Array<{
                /**
                 * For `input_image`: a Chorus upload of yours.
                 */
                file_id?: string;
                text?: string;
                type: 'input_text' | 'output_text' | 'input_image';
            }>;
            /**
             * For `item_reference`: an output item id (`msg_…`).
             */
            id?: string;
            role?: 'user' | 'assistant' | 'system' | 'developer';
            type?: 'message' | 'item_reference';
        }>;
        /**
         * Added after the persona's system prompt, for this turn.
         */
        instructions?: string | null;
        max_output_tokens?: number | null;
        metadata?: {
            [key: string]: string;
        } | null;
        /**
         * `persona/<handle>`; admins may also name `<provider>/<model>` (with `store: false`).
         */
        model: string;
        /**
         * Continue the conversation of this stored response (the latest of its chain).
         */
        previous_response_id?: string | null;
        /**
         * Default: true for personas, false for raw provider models.
         */
        store?: boolean;
        stream?: boolean;
        temperature?: number | null;
        [key: string]: unknown;
    };
    headers?: {
        /**
         * Retries with the same key get the first response, never a second reply.
         */
        'Idempotency-Key'?: string;
    };
    path?: never;
    query?: never;
    url: '/openai/v1/responses';
};

export type CreateResponseErrors = {
    /**
     * `validation_failed`: The request is not valid; `invalid_request`: Invalid request; `model_mismatch`: Model does not match the conversation
     */
    400: OpenAiErrorDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `model_not_found`: Model not found; `response_not_found`: Response not found
     */
    404: OpenAiErrorDto;
    /**
     * `idempotency_conflict`: Idempotency-Key in use
     */
    409: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `generation_failed`: The reply could not be generated
     */
    502: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type CreateResponseError = CreateResponseErrors[keyof CreateResponseErrors];

export type CreateResponseResponses = {
    /**
     * The response, or its event stream.
     */
    200: {
        /**
         * Unix seconds.
         */
        created_at: number;
        error?: {
            code?: string;
            message?: string;
            param?: string | null;
            type?: string;
        } | null;
        id: string;
        incomplete_details?: {
            reason?: 'max_output_tokens' | 'content_filter';
        } | null;
        instructions?: string | null;
        max_output_tokens?: number | null;
        metadata?: {
            [key: string]: string;
        };
        model: string;
        object: 'response';
        output: Array<{
            content: Array<{
                annotations?: Array<unknown>;
                text?: string;
                type?: 'output_text';
            }>;
            id: string;
            role: 'assistant';
            status: 'in_progress' | 'completed' | 'incomplete';
            type: 'message';
        }>;
        /**
         * The output's text, joined.
         */
        output_text?: string;
        previous_response_id?: string | null;
        status: 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';
        store?: boolean;
        temperature?: number | null;
        usage?: {
            input_tokens?: number;
            input_tokens_details?: {
                cached_tokens?: number;
            };
            output_tokens?: number;
            output_tokens_details?: {
                reasoning_tokens?: number;
            };
            total_tokens?: number;
        } | null;
    };
};

export type CreateResponseResponse = CreateResponseResponses[keyof CreateResponseResponses];

export type DeleteResponseData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/openai/v1/responses/{id}';
};

export type DeleteResponseErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `response_not_found`: Response not found
     */
    404: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type DeleteResponseError = DeleteResponseErrors[keyof DeleteResponseErrors];

export type DeleteResponseResponses = {
    /**
     * The response is deleted.
     */
    200: {
        deleted: true;
        id: string;
        object: 'response';
    };
};

export type DeleteResponseResponse = DeleteResponseResponses[keyof DeleteResponseResponses];

export type GetResponseData = {
    body?: never;
    path: {
        id: string;
    };
    query?: never;
    url: '/openai/v1/responses/{id}';
};

export type GetResponseErrors = {
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `response_not_found`: Response not found
     */
    404: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type GetResponseError = GetResponseErrors[keyof GetResponseErrors];

export type GetResponseResponses = {
    /**
     * The response.
     */
    200: {
        /**
         * Unix seconds.
         */
        created_at: number;
        error?: {
            code?: string;
            message?: string;
            param?: string | null;
            type?: string;
        } | null;
        id: string;
        incomplete_details?: {
            reason?: 'max_output_tokens' | 'content_filter';
        } | null;
        instructions?: string | null;
        max_output_tokens?: number | null;
        metadata?: {
            [key: string]: string;
        };
        model: string;
        object: 'response';
        output: Array<{
            content: Array<{
                annotations?: Array<unknown>;
                text?: string;
                type?: 'output_text';
            }>;
            id: string;
            role: 'assistant';
            status: 'in_progress' | 'completed' | 'incomplete';
            type: 'message';
        }>;
        /**
         * The output's text, joined.
         */
        output_text?: string;
        previous_response_id?: string | null;
        status: 'in_progress' | 'completed' | 'incomplete' | 'cancelled' | 'failed';
        store?: boolean;
        temperature?: number | null;
        usage?: {
            input_tokens?: number;
            input_tokens_details?: {
                cached_tokens?: number;
            };
            output_tokens?: number;
            output_tokens_details?: {
                reasoning_tokens?: number;
            };
            total_tokens?: number;
        } | null;
    };
};

export type GetResponseResponse = GetResponseResponses[keyof GetResponseResponses];

export type ListResponseInputItemsData = {
    body?: never;
    path: {
        id: string;
    };
    query?: {
        limit?: number;
        /**
         * Newest first by default, as at OpenAI.
         */
        order?: 'asc' | 'desc';
        /**
         * An item id: the items after it, in `order`.
         */
        after?: string;
    };
    url: '/openai/v1/responses/{id}/input_items';
};

export type ListResponseInputItemsErrors = {
    /**
     * `validation_failed`: The request is not valid
     */
    400: OpenAiErrorDto;
    /**
     * `unauthorized`: Authentication is required
     */
    401: OpenAiErrorDto;
    /**
     * `response_not_found`: Response not found
     */
    404: OpenAiErrorDto;
    /**
     * `rate_limited`: Too many requests
     */
    429: OpenAiErrorDto;
    /**
     * `internal_error`: Internal server error
     */
    500: OpenAiErrorDto;
    /**
     * `service_unavailable`: Service unavailable
     */
    503: OpenAiErrorDto;
};

export type ListResponseInputItemsError = ListResponseInputItemsErrors[keyof ListResponseInputItemsErrors];

export type ListResponseInputItemsResponses = {
    /**
     * A page of input items.
     */
    200: {
        data: Array<{
            content?: Array<{
                text?: string;
                type?: 'input_text';
            }>;
            id?: string;
            role?: 'user';
            status?: 'completed';
            type?: 'message';
        }>;
        first_id: string | null;
        has_more: boolean;
        last_id: string | null;
        object: 'list';
    };
};

export type ListResponseInputItemsResponse = ListResponseInputItemsResponses[keyof ListResponseInputItemsResponses];
