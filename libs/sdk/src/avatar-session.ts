import { isChorusApiError } from './errors.js';
import type { ChorusApi } from './generated/sdk.gen.js';
import type { AvatarJoinDto, AvatarSessionDto } from './generated/types.gen.js';
import type { ReplyEvent } from './reply-stream.js';

/** The LiveKit data-channel topic LiveAvatar listens to for commands. */
export const AVATAR_COMMAND_TOPIC = 'agent-control';

/**
 * A LiveAvatar command that makes the avatar say `text` word for word, in the persona's voice: publish
 * it (JSON, reliable) on AVATAR_COMMAND_TOPIC of the session's LiveKit room.
 */
export interface AvatarSpeakCommand {
  readonly event_type: 'avatar.speak_text';
  readonly event_id: string;
  readonly text: string;
}

/** Where a sentence ends: after . ! ? or … (and any closing quote or bracket) followed by a space, or at a line break. */
const SENTENCE_END = /[.!?…]+["'”’)\]]*\s+|\n+/;

/**
 * The words of a streamed reply as avatar commands, a sentence at a time as soon as each is
 * complete, so that the avatar starts speaking while the reply is still being written; the rest
 * when the reply completes. Chorus's chat turn stays the source of the words: the avatar speaks
 * exactly the stored reply. `for await (const command of avatarSpeechOf(stream)) room.localParticipant.publishData(...)`.
 */
export async function* avatarSpeechOf(events: AsyncIterable<ReplyEvent>): AsyncIterable<AvatarSpeakCommand> {
  let pending = '';
  let sentence = 0;
  const command = (text: string): AvatarSpeakCommand => ({ event_type: 'avatar.speak_text', event_id: `chorus-${(sentence += 1)}-${Date.now()}`, text });
  for await (const event of events) {
    if (event.type === 'reply.delta') {
      pending += event.data.text;
      for (let match = SENTENCE_END.exec(pending); match; match = SENTENCE_END.exec(pending)) {
        const text = pending.slice(0, match.index + match[0].length).trim();
        pending = pending.slice(match.index + match[0].length);
        if (text) yield command(text);
      }
    } else if (event.type === 'reply.completed' || event.type === 'error') {
      break;
    }
  }
  if (pending.trim()) yield command(pending.trim());
}

/**
 * A started avatar session whose keep-alives this object sends (every `keepAliveMs`) until
 * `stop()` or until the server says the session has ended (`ended` then resolves with it).
 */
export class LiveAvatarSession {
  private timer: ReturnType<typeof setInterval> | undefined;
  private current: AvatarSessionDto;
  private finish!: (session: AvatarSessionDto) => void;
  /** Resolves with the session once it has ended (stopped here, by the server, or at the provider). */
  readonly ended: Promise<AvatarSessionDto>;

  constructor(
    private readonly api: ChorusApi,
    session: AvatarSessionDto,
    /** What joining the video room takes (`transport: 'none'` for the simulated provider). */
    readonly join: AvatarJoinDto,
    keepAliveMs: number,
  ) {
    this.current = session;
    this.ended = new Promise((resolve) => (this.finish = resolve));
    this.timer = setInterval(() => void this.keepAlive(), keepAliveMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  get session(): AvatarSessionDto {
    return this.current;
  }

  /** Stops the session (billing the seconds it ran) and the keep-alives. */
  async stop(): Promise<AvatarSessionDto> {
    this.clear();
    this.end(await this.api.stopAvatarSession({ path: { id: this.current.id } }));
    return this.current;
  }

  private async keepAlive(): Promise<void> {
    try {
      this.current = await this.api.keepAvatarSessionAlive({ path: { id: this.current.id } });
    } catch (error) {
      // Anything else (a network blip) is tried again at the next beat; the server stops a session not kept alive.
      if (!isChorusApiError(error) || error.code !== 'avatar_session_ended') return;
      this.clear();
      this.end(await this.api.getAvatarSession({ path: { id: this.current.id } }));
    }
  }

  private end(session: AvatarSessionDto): void {
    this.current = session;
    this.finish(session);
  }

  private clear(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
