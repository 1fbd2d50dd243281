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

/**
 * Where a sentence ends: after . ! ? or … (and any closing quote or bracket) followed by a space,
 * or at a line break; not after a list's number ("1. ") or a lone initial.
 */
const SENTENCE_END = /(?<!(?:^|\s)(?:\d{1,3}|[A-Z]))[.!?…]+["'”’)\]]*\s+|\n+/;

/**
 * The words of a streamed reply as avatar commands, a sentence at a time as soon as each is
 * complete, so that the avatar starts speaking while the reply is still being written; the rest
 * when the reply completes (with whatever of its final text the deltas did not carry). Chorus's
 * chat turn stays the source of the words: the avatar speaks exactly the stored reply.
 * `for await (const command of avatarSpeechOf(stream)) room.localParticipant.publishData(...)`.
 */
export async function* avatarSpeechOf(events: AsyncIterable<ReplyEvent>): AsyncIterable<AvatarSpeakCommand> {
  let received = '';
  let spoken = 0;
  const command = (text: string): AvatarSpeakCommand => ({ event_type: 'avatar.speak_text', event_id: globalThis.crypto.randomUUID(), text });
  for await (const event of events) {
    if (event.type === 'reply.delta') {
      received += event.data.text;
      for (let match = SENTENCE_END.exec(received.slice(spoken)); match; match = SENTENCE_END.exec(received.slice(spoken))) {
        const text = received.slice(spoken, spoken + match.index + match[0].length).trim();
        spoken += match.index + match[0].length;
        if (text) yield command(text);
      }
    } else if (event.type === 'reply.completed') {
      // The stored reply is the reference: a tail the deltas did not carry is spoken too.
      if (event.data.content.startsWith(received)) received = event.data.content;
      break;
    } else if (event.type === 'error') {
      break;
    }
  }
  const rest = received.slice(spoken).trim();
  if (rest) yield command(rest);
}

/**
 * A started avatar session whose keep-alives this object sends (every `keepAliveMs`) until
 * `stop()` or until the server says the session has ended (`ended` then resolves with it). The
 * timer keeps a Node.js process running while the session is live: stop it when done.
 */
export class LiveAvatarSession {
  private timer: ReturnType<typeof setInterval> | undefined;
  private current: AvatarSessionDto;
  private over = false;
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
  }

  get session(): AvatarSessionDto {
    return this.current;
  }

  /** Stops the session (billing the seconds it ran), then the keep-alives; when the stop fails, they go on. */
  async stop(): Promise<AvatarSessionDto> {
    const stopped = await this.api.stopAvatarSession({ path: { id: this.current.id } });
    this.end(stopped);
    return stopped;
  }

  private async keepAlive(): Promise<void> {
    try {
      const alive = await this.api.keepAvatarSessionAlive({ path: { id: this.current.id } });
      if (!this.over) this.current = alive;
    } catch (error) {
      // Anything else (a network blip) is tried again at the next beat; the server stops a session not kept alive.
      if (this.over || !isChorusApiError(error) || error.code !== 'avatar_session_ended') return;
      this.end(await this.api.getAvatarSession({ path: { id: this.current.id } }).catch(() => this.current));
    }
  }

  private end(session: AvatarSessionDto): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.over = true;
    this.current = session;
    this.finish(session);
  }
}
