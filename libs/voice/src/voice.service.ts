import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable, Logger } from '@nestjs/common';
import { CoreProblems, InjectConfig, ProblemException, type AppConfig } from '#chorus/core';
import type { PersonaVoiceRecord } from '#chorus/influencers';
import { MediaAudio, MediaObjectMissing, MediaProblems, MediaStore, UrlSigner } from '#chorus/media';
import { QuotaService, type Caller } from '#chorus/usage';
import type { VoiceCatalogueDto } from './dto/voice.dto.js';
import { SpeechClipsRepository } from './speech-clips.repository.js';
import { SpeechRegistry } from './speech-registry.js';
import { SpeechProviderError, type AudioFormat, type TextToSpeech, type VoiceSettings } from './speech.types.js';
import { VoiceProblems } from './voice.errors.js';

/** Speech kept in the store, by the hash of what made it; `cached`: it was made before, and cost nothing now. */
export interface SpeechClip {
  readonly key: string;
  readonly storageKey: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly cached: boolean;
}

/** Where speech is for, as its ledger event records it. */
export interface SpeechContext {
  readonly conversationId: string | null;
  readonly messageId: string | null;
}

/**
 * Voice: a user's voice message transcribed (once: a retry reads the kept transcript and is not
 * billed again), and text spoken in a persona's voice, kept by what made it so that a replay is
 * read from the store and costs nothing. Each provider call is reserved first on the caller's
 * voice quota (429 `quota_exceeded`, nothing done) and settled with what it used.
 */
@Injectable()
export class VoiceService {
  private readonly logger = new Logger(VoiceService.name);
  private readonly urls: UrlSigner;

  constructor(
    private readonly registry: SpeechRegistry,
    private readonly audio: MediaAudio,
    private readonly store: MediaStore,
    private readonly clips: SpeechClipsRepository,
    private readonly quota: QuotaService,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.urls = new UrlSigner(config, 'chorus speech urls');
  }

  /**
   * The text of the caller's voice message `mediaId` (an audio upload of theirs, ready, not on a
   * message yet). Transcribed by the default speech-to-text provider, its seconds reserved and
   * billed, the transcript kept with the media. 422 `no_speech_recognised` for silence; the
   * provider's failure is 502/503 and leaves the audio to be sent again.
   */
  async transcript(caller: Caller, mediaId: string, conversationId: string): Promise<string> {
    const audio = await this.audio.voiceMessage(caller.userId, mediaId);
    const kept = audio.transcript?.text;
    if (kept !== undefined) return nonEmpty(kept);
    const seconds = Math.max(1, Math.ceil(audio.durationMs / 1000));
    const reservationId = randomUUID();
    await this.quota.reserveVoice(caller, reservationId, 'voice.stt_seconds', seconds);
    try {
      const data = await this.audio.bytesOf(mediaId);
      const transcription = await this.registry.transcribe({ data, contentType: audio.contentType, filename: audio.filename, durationMs: audio.durationMs });
      const text = transcription.text.trim();
      await this.audio.saveTranscript(mediaId, { text, provider: transcription.provider, model: transcription.model });
      const usdPerMinute = this.config.voice.stt.find((instance) => instance.name === transcription.provider)?.usdPerMinute ?? 0;
      const costMicros = Math.round((usdPerMinute * seconds * 1_000_000) / 60);
      await this.quota.settleVoice(reservationId, {
        metric: 'voice.stt_seconds',
        quantity: seconds,
        costMicros,
        provider: transcription.provider,
        model: transcription.model,
        conversationId,
        messageId: null,
        mediaId,
      });
      return nonEmpty(text);
    } catch (error) {
      await this.quota.releaseVoice(reservationId).catch(() => undefined);
      throw asProblem(error, 'stt');
    }
  }

  /**
   * `text` spoken in `voice` (a persona's; null: the default provider's default voice) as
   * `format` (one the provider offers; omitted: its first), as a clip in the store. From the
   * cache when the same text, voice and format were spoken before (free); otherwise synthesised,
   * its characters reserved and billed, and kept.
   */
  async clip(caller: Caller, text: string, voice: PersonaVoiceRecord | null, format: AudioFormat | undefined, context: SpeechContext): Promise<SpeechClip> {
    if (text.length > this.config.voice.maxSpeechCharacters) {
      throw new ProblemException(VoiceProblems.speechTooLong, `Speech is made of at most ${this.config.voice.maxSpeechCharacters} characters; this text has ${text.length}.`);
    }
    const { provider, settings } = this.resolve(voice);
    const chosen = format ?? provider.formats[0]!;
    if (!provider.formats.includes(chosen)) {
      throw new ProblemException(VoiceProblems.formatUnavailable, `${provider.name} speaks ${provider.formats.join(', ')}, not ${chosen}.`, {
        extensions: { formats: provider.formats },
      });
    }
    const key = createHash('sha256').update(JSON.stringify([provider.name, provider.model, settings, chosen, text])).digest('hex');
    const kept = await this.clips.use(key);
    if (kept) return { key, storageKey: kept.storageKey, contentType: kept.contentType, bytes: kept.bytes, cached: true };

    const reservationId = randomUUID();
    await this.quota.reserveVoice(caller, reservationId, 'voice.tts_characters', text.length);
    const storageKey = `speech/${key.slice(0, 2)}/${key}.${chosen}`;
    let synthesis;
    try {
      synthesis = await this.registry.synthesize({ text, voice: settings, format: chosen }, provider.name);
      await this.store.put(storageKey, Readable.from([synthesis.audio]), synthesis.contentType);
    } catch (error) {
      await this.quota.releaseVoice(reservationId).catch(() => undefined);
      throw asProblem(error, 'tts');
    }
    const instance = this.config.voice.tts.find((candidate) => candidate.name === provider.name)!;
    await this.quota.settleVoice(reservationId, {
      metric: 'voice.tts_characters',
      quantity: text.length,
      costMicros: Math.round(instance.usdPerMillionCharacters * text.length),
      provider: provider.name,
      model: provider.model,
      ...context,
      mediaId: null,
    });
    // Two requests that made the same clip stored the same bytes under the same key: either record stands.
    await this.clips.insert({ key, storageKey, contentType: synthesis.contentType, bytes: synthesis.audio.length, characters: text.length, provider: provider.name });
    return { key, storageKey, contentType: synthesis.contentType, bytes: synthesis.audio.length, cached: false };
  }

  /** A clip's bytes; 404 when its object is gone (its record is then forgotten, so that the next request makes it again). */
  async clipBody(clip: Pick<SpeechClip, 'key' | 'storageKey'>): Promise<Readable> {
    try {
      return await this.store.get(clip.storageKey);
    } catch (error) {
      if (!(error instanceof MediaObjectMissing)) throw error;
      this.logger.warn(`Speech clip ${clip.key} is recorded but its object is gone: it will be made again`);
      await this.clips.forget(clip.key);
      throw new ProblemException(CoreProblems.notFound, 'This speech is no longer kept: ask for it again.');
    }
  }

  /** A short-lived URL of a clip: the store's own (S3), or the API's, HMAC-signed (local store). */
  async clipUrl(clip: Pick<SpeechClip, 'key' | 'storageKey'>): Promise<{ url: string; expiresAt: Date }> {
    const ttl = this.config.media.urlTtlSeconds;
    const expiresAt = new Date(Date.now() + ttl * 1000);
    const signed = await this.store.signedUrl(clip.storageKey, ttl);
    if (signed) return { url: signed, expiresAt };
    return { url: `/api/v1/speech/${clip.key}?${this.urls.urlQuery(`speech:${clip.key}`, expiresAt)}`, expiresAt };
  }

  /** The clip a signed local URL names, once its signature and expiry are checked (403 otherwise). */
  async signedClip(key: string, expires: number, signature: string): Promise<{ contentType: string; bytes: number; body: Readable }> {
    if (!this.urls.verify(`speech:${key}`, expires, signature)) {
      throw new ProblemException(MediaProblems.urlInvalid, 'This speech URL is invalid or has expired: ask for the speech again.');
    }
    const clip = await this.clips.use(key);
    if (!clip) throw new ProblemException(CoreProblems.notFound, 'This speech is no longer kept: ask for it again.');
    return { contentType: clip.contentType, bytes: clip.bytes, body: await this.clipBody(clip) };
  }

  /** What can speak and listen here: the providers (local engines: whether installed) and their voices. */
  async catalogue(): Promise<VoiceCatalogueDto> {
    const { defaultTts, defaultStt } = this.config.voice;
    const textToSpeech = await Promise.all(
      this.config.voice.tts.map(async ({ name }) => {
        const provider = this.registry.tts(name);
        return { name, kind: provider.kind, model: provider.model, formats: [...provider.formats], defaultVoice: provider.defaultVoice, available: await provider.available(), isDefault: name === defaultTts };
      }),
    );
    const speechToText = await Promise.all(
      this.config.voice.stt.map(async ({ name }) => {
        const provider = this.registry.stt(name);
        return { name, kind: provider.kind, model: provider.model, available: await provider.available(), isDefault: name === defaultStt };
      }),
    );
    return { textToSpeech, speechToText, voices: await this.registry.voices() };
  }

  /** The provider a voice names (or the default) and its settings, defaults filled in; 503 when it is not configured. */
  private resolve(voice: PersonaVoiceRecord | null): { provider: TextToSpeech; settings: VoiceSettings } {
    let provider: TextToSpeech;
    try {
      provider = this.registry.tts(voice?.provider);
    } catch (error) {
      throw asProblem(error, 'tts');
    }
    const settings: VoiceSettings = {
      voiceId: voice?.voiceId ?? provider.defaultVoice,
      ...(voice?.speed !== undefined ? { speed: voice.speed } : {}),
      ...(voice?.stability !== undefined ? { stability: voice.stability } : {}),
      ...(voice?.instructions !== undefined ? { instructions: voice.instructions } : {}),
    };
    return { provider, settings };
  }
}

/** The problem a speech provider's failure answers with (other errors pass through). */
function asProblem(error: unknown, direction: 'stt' | 'tts'): unknown {
  if (!(error instanceof SpeechProviderError)) return error;
  if (error.reason === 'rejected') return new ProblemException(VoiceProblems.speechRejected, `${error.provider} refused it: ${error.message}`);
  const problem =
    error.reason === 'unavailable'
      ? direction === 'stt'
        ? VoiceProblems.sttUnavailable
        : VoiceProblems.ttsUnavailable
      : direction === 'stt'
        ? VoiceProblems.sttFailed
        : VoiceProblems.ttsFailed;
  return new ProblemException(problem, error.message, { extensions: { provider: error.provider } });
}

function nonEmpty(text: string): string {
  if (text.length === 0) throw new ProblemException(VoiceProblems.nothingHeard, 'No speech was recognised in this audio: record it again, closer to the microphone.');
  return text;
}
