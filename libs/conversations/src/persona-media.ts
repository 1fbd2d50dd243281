import { Injectable } from '@nestjs/common';
import { MediaAttachments, SEND_MEDIA_TOOL, type AttachmentView } from '#chorus/media';
import type { ChatToolCall } from '#chorus/providers';
import { QuotaService, type Caller } from '#chorus/usage';
import { toAttachmentDto } from './dto/conversation.dto.js';
import type { LiveReply } from './reply-stream-hub.js';

/** What a reply's `send_media` calls did: the tool runner, and the photos sent so far, in order. */
export interface MediaSending {
  readonly run: (call: ChatToolCall) => Promise<string | undefined>;
  readonly sent: readonly AttachmentView[];
}

/** The `send_media` tool of personas with a gallery, as their replies run it. */
@Injectable()
export class PersonaMedia {
  constructor(
    private readonly attachments: MediaAttachments,
    private readonly quota: QuotaService,
  ) {}

  /**
   * Runs the `send_media` calls of reply `messageId`: each picks a ready gallery item by its tag
   * (any, when none has it), one the caller's plan may receive (premium items with premium
   * personas only) and not sent in this reply yet, shown at once as a `reply.media` event.
   */
  sending(influencerId: string, caller: Caller, live: LiveReply, messageId: string): MediaSending {
    const sent: AttachmentView[] = [];
    const run = async (call: ChatToolCall): Promise<string | undefined> => {
      if (call.name !== SEND_MEDIA_TOOL) return undefined;
      // The caller's overrides were read with the turn's target: no query.
      const premium = await this.quota.premiumPersonasOpen(caller);
      const pick = await this.attachments.pickPersonaMedia(influencerId, tagOf(call.arguments), { premium, exclude: sent.map((view) => view.mediaId) });
      // Deleted between the pick and its view: as if there were none.
      const view = pick && (await this.attachments.viewOf(pick.mediaId, 'persona'));
      if (!pick || !view) return 'No photo available.';
      sent.push(view);
      live.publish('reply.media', { messageId, media: toAttachmentDto(view) });
      return pick.toolResult;
    };
    return { run, sent };
  }
}

/** The tag a call asks for; none when its arguments are not the JSON object the tool describes. */
function tagOf(argumentsJson: string): string | undefined {
  try {
    const tag = (JSON.parse(argumentsJson) as { tag?: unknown } | null)?.tag;
    return typeof tag === 'string' ? tag : undefined;
  } catch {
    return undefined;
  }
}
