import { buffer } from 'node:stream/consumers';
import { Injectable } from '@nestjs/common';
import { CoreProblems, InjectConfig, ProblemException, type AppConfig } from '#chorus/core';
import type { ChatImage, ChatTool } from '#chorus/providers';
import type { MediaEntity } from './media.entity.js';
import { MediaProblems } from './media.errors.js';
import { MediaRepository } from './media.repository.js';
import { MediaService, type MediaUrls } from './media.service.js';
import { ModerationService } from './moderation/index.js';
import { isAudioType } from './processing/index.js';
import { MediaStore } from './storage/index.js';

/** How long a persona's `send_media` tool (its gallery's tags) is reused before it is read again. */
const TOOL_CACHE_MS = 10_000;

/** An attachment as a message shows it: what it is, and short-lived URLs of an image and its thumbnail, or of an audio. */
export interface AttachmentView {
  readonly mediaId: string;
  /** `user`: the user's upload on their message; `persona`: a gallery item the persona sent in its reply. */
  readonly source: 'user' | 'persona';
  readonly contentType: string;
  readonly bytes: number;
  /** An image's; null for audio. */
  readonly width: number | null;
  readonly height: number | null;
  /** An audio's length; null for an image. */
  readonly durationMs: number | null;
  readonly caption: string | null;
  readonly urls: MediaUrls;
}

/** A user's upload checked for attaching to a message: ready, theirs, not on another message. */
export interface AttachableMedia {
  readonly mediaId: string;
  readonly contentType: string;
  readonly bytes: number;
  /** An image's; null for audio. */
  readonly width: number | null;
  readonly height: number | null;
}

/** A gallery item the `send_media` tool picked for a reply. */
export interface PersonaMediaPick {
  readonly mediaId: string;
  readonly caption: string | null;
  readonly tags: readonly string[];
  /** The text the model is given as the tool's result. */
  readonly toolResult: string;
}

/** The name of the tool a persona with a gallery is offered. */
export const SEND_MEDIA_TOOL = 'send_media';

/** The contract the conversations lib uses; implemented by MediaAttachmentsService. */
export interface MediaAttachmentsContract {
  /**
   * The uploads `mediaIds` (in order), each the user's, `ready`, within the persona's moderation
   * policy and not attached to a message yet, all within the count and size limits. Throws the
   * problem otherwise (404 for an id that is not the user's, 409 `media_not_ready`, 422 ...).
   */
  attachable(userId: string, influencerId: string, mediaIds: readonly string[]): Promise<AttachableMedia[]>;
  /** The images of these messages (never their audio), as models are sent them (cleaned bytes), by message id. */
  imagesOf(messageIds: readonly string[]): Promise<Map<string, ChatImage[]>>;
  /**
   * The attachments of these messages, as their views, by message id, in order. A persona's
   * premium-only photo shows only while `premiumOpen` (asked only when there is one) says the
   * viewer's plan opens it: a plan that lost it no longer sees those sent before.
   */
  viewsOf(messageIds: readonly string[], premiumOpen: () => Promise<boolean>): Promise<Map<string, AttachmentView[]>>;
  /** The `send_media` tool for this persona, or undefined when it has no gallery. */
  sendMediaTool(influencerId: string): Promise<ChatTool | undefined>;
  /** A ready gallery item with `tag` (any, when none has it) the plan may receive, not among `exclude`. */
  pickPersonaMedia(influencerId: string, tag: string | undefined, options: { premium: boolean; exclude?: readonly string[] }): Promise<PersonaMediaPick | undefined>;
  /** The attachment view of one media (for the `reply.media` event). */
  viewOf(mediaId: string, source: 'user' | 'persona'): Promise<AttachmentView | undefined>;
}

/**
 * Media in conversations: which uploads a message may carry, the images a model is shown, the
 * attachments a history shows, and the gallery items a persona sends with `send_media`.
 */
@Injectable()
export class MediaAttachments implements MediaAttachmentsContract {
  /** Per persona: its tool (undefined: no gallery), until `expiresAt`; a send costs no query while it holds. */
  private readonly tools = new Map<string, { tool: ChatTool | undefined; expiresAt: number }>();

  constructor(
    private readonly media: MediaRepository,
    private readonly store: MediaStore,
    private readonly service: MediaService,
    private readonly moderation: ModerationService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  async attachable(userId: string, influencerId: string, mediaIds: readonly string[]): Promise<AttachableMedia[]> {
    const { maxCount, maxTotalBytes } = this.config.media.attachments;
    if (mediaIds.length > maxCount) throw new ProblemException(MediaProblems.tooManyAttachments, `A message carries at most ${maxCount} attachments.`);
    if (new Set(mediaIds).size !== mediaIds.length) throw new ProblemException(CoreProblems.validationFailed, 'An attachment is listed twice.');
    const { media, attached } = await this.media.attachmentCandidates(userId, mediaIds);
    const byId = new Map(media.map((item) => [item.id, item]));
    const checked = mediaIds.map((id) => {
      const item = byId.get(id);
      if (!item) throw new ProblemException(CoreProblems.notFound, `No such media: ${id}.`);
      if (item.status === 'rejected') throw new ProblemException(MediaProblems.rejected, `Media ${id} was rejected and cannot be sent.`);
      if (item.status !== 'ready') throw new ProblemException(MediaProblems.notReady, `Media ${id} is still ${item.status}: send it once GET /media/${id} says ready.`);
      if (attached.has(id)) throw new ProblemException(MediaProblems.alreadyAttached, `Media ${id} is already on another message: upload it again to send it again.`);
      return { mediaId: id, contentType: item.contentType!, bytes: Number(item.bytes), width: item.width, height: item.height };
    });
    const total = checked.reduce((sum, item) => sum + item.bytes, 0);
    if (total > maxTotalBytes) throw new ProblemException(MediaProblems.attachmentsTooLarge, `A message's attachments come to at most ${maxTotalBytes} bytes; these are ${total}.`);
    // Judged at upload by one persona's policy (or the default), an image may be too much for this one. Audio is not
    // moderated: its null verdict flags nothing.
    for (const item of media) {
      const flagged = await this.moderation.flaggedFor(item.moderation, influencerId);
      if (flagged.length > 0) {
        throw new ProblemException(MediaProblems.contentFlagged, `Media ${item.id} cannot be sent to this persona: moderation flagged it (${flagged.join(', ')}).`, {
          extensions: { categories: flagged },
        });
      }
    }
    return checked;
  }

  async imagesOf(messageIds: readonly string[]): Promise<Map<string, ChatImage[]>> {
    return this.byMessage(
      messageIds,
      async (media) => ({
        mediaType: media.contentType!,
        data: await buffer(await this.store.get(media.storageKey)),
        width: media.width!,
        height: media.height!,
      }),
      // A voice message's audio is its text to the model, not an image.
      async (media) => !isAudioType(media.contentType),
    );
  }

  async viewsOf(messageIds: readonly string[], premiumOpen: () => Promise<boolean>): Promise<Map<string, AttachmentView[]>> {
    let premium: Promise<boolean> | undefined;
    const shown = async (media: MediaEntity, source: 'user' | 'persona') => source === 'user' || !media.premiumOnly || (await (premium ??= premiumOpen()));
    return this.byMessage(messageIds, (media, source) => this.toView(media, source), shown);
  }

  async sendMediaTool(influencerId: string): Promise<ChatTool | undefined> {
    const cached = this.tools.get(influencerId);
    if (cached && cached.expiresAt > Date.now()) return cached.tool;
    const gallery = await this.media.gallerySummary(influencerId);
    const tool = gallery.items === 0 ? undefined : sendMediaTool(gallery.tags);
    this.tools.set(influencerId, { tool, expiresAt: Date.now() + TOOL_CACHE_MS });
    return tool;
  }

  async pickPersonaMedia(influencerId: string, tag: string | undefined, options: { premium: boolean; exclude?: readonly string[] }): Promise<PersonaMediaPick | undefined> {
    const item = await this.media.pickGalleryItem(influencerId, tag?.trim().toLowerCase() || undefined, options.premium, options.exclude ?? []);
    if (!item) return undefined;
    const described = [item.tags.length > 0 ? `tags: ${item.tags.join(', ')}` : undefined, item.caption ? `caption: "${item.caption}"` : undefined].filter(Boolean);
    return { mediaId: item.id, caption: item.caption, tags: item.tags, toolResult: `Sent the user a photo${described.length > 0 ? ` (${described.join('; ')})` : ''}.` };
  }

  async viewOf(mediaId: string, source: 'user' | 'persona'): Promise<AttachmentView | undefined> {
    const media = await this.media.find(mediaId);
    return media?.status === 'ready' ? this.toView(media, source) : undefined;
  }

  /** The ready attachments of these messages (those `shown` says, when given), each made into a `T`, grouped by message in their order. */
  private async byMessage<T>(
    messageIds: readonly string[],
    make: (media: MediaEntity, source: 'user' | 'persona') => Promise<T>,
    shown?: (media: MediaEntity, source: 'user' | 'persona') => Promise<boolean>,
  ): Promise<Map<string, T[]>> {
    const grouped = new Map<string, T[]>();
    if (messageIds.length === 0) return grouped;
    const ready = (await this.media.attachmentsOf(messageIds)).filter((attachment) => attachment.media?.status === 'ready');
    const visible = shown ? await Promise.all(ready.map((attachment) => shown(attachment.media!, attachment.source))) : undefined;
    const attachments = visible ? ready.filter((_, index) => visible[index]) : ready;
    const made = await Promise.all(attachments.map((attachment) => make(attachment.media!, attachment.source)));
    attachments.forEach((attachment, index) => grouped.set(attachment.messageId, [...(grouped.get(attachment.messageId) ?? []), made[index]!]));
    return grouped;
  }

  private async toView(media: MediaEntity, source: 'user' | 'persona'): Promise<AttachmentView> {
    return {
      mediaId: media.id,
      source,
      contentType: media.contentType!,
      bytes: Number(media.bytes),
      width: media.width,
      height: media.height,
      durationMs: media.durationMs,
      caption: media.caption,
      urls: await this.service.signedUrls(media),
    };
  }
}

/** The tool a persona with a gallery is offered: its tags, so that the model asks for what exists. */
function sendMediaTool(tags: readonly string[]): ChatTool {
  return {
    name: SEND_MEDIA_TOOL,
    description:
      'Send the user one of your own photos. Use it when the user asks for a photo, picture or selfie of you, or when showing one fits the conversation. ' +
      (tags.length > 0 ? `Your photos are tagged: ${tags.join(', ')}.` : ''),
    parameters: {
      type: 'object',
      properties: { tag: { type: 'string', description: 'What the photo should show: one of the tags, if one fits.' } },
      additionalProperties: false,
    },
  };
}
