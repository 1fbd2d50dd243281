import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { Clock, CoreProblems, InjectConfig, Jobs, MetricsService, ProblemException, decodeCursor, toCursorPage, type AppConfig, type CursorPage } from '#chorus/core';
import { ConversationsService } from '#chorus/conversations';
import { InfluencersService } from '#chorus/influencers';
import { QuotaService, UsageProblems, type Caller } from '#chorus/usage';
import { AvatarSessionEntity, type AvatarSessionStatus, type AvatarStopReason } from './avatar-session.entity.js';
import { AvatarSessionsRepository, type SessionEnding } from './avatar-sessions.repository.js';
import { AvatarProblems } from './avatar.errors.js';
import { AvatarProviderError, type AvatarJoinInfo } from './providers/avatar-provider.js';
import { AvatarProviders } from './providers/avatar-providers.js';

/** A session as services see it (the entity stays here). */
export type AvatarSessionView = Omit<AvatarSessionEntity, 'limitedByQuota' | 'providerStoppedAt' | 'user'>;

/** A session just started, and what its user needs to join it (given once, never stored). */
export interface StartedSessionView {
  readonly session: AvatarSessionView;
  readonly join: AvatarJoinInfo;
  readonly expiresAt: Date;
}

export interface StartSessionInput {
  readonly influencerId: string;
  readonly conversationId?: string;
}

/** The job that ends sessions the server must stop, and asks the provider again about stops it did not confirm. */
const SWEEP_JOB = 'avatar.sweep';
const LIST_CURSOR = { at: 'timestamp', id: 'uuid' } as const;

/**
 * Streaming-avatar sessions, started, metered and stopped by the server:
 * - a start checks the persona and the plan, counts the user's open sessions and reserves the
 *   session's seconds in one transaction under the user's row lock (so two starts cannot both
 *   pass a cap of one), and only then calls the provider;
 * - every end (the user's stop, the sweeper's, a failed start) happens in one transaction that
 *   locks the session, marks it ended and bills the seconds it ran, exactly once; the provider is
 *   then told to stop, and asked again by the sweeper until it confirms;
 * - the sweeper (a job the deployment runs every AVATAR_SWEEP_INTERVAL_MS) ends sessions past
 *   their reserved seconds (the deployment's maximum, or the user's minutes left), not kept
 *   alive, or left starting by a process that died.
 */
@Injectable()
export class AvatarService implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Avatar');
  private readonly endedSessions: Counter<'provider' | 'reason'>;
  private readonly billedSeconds: Counter<'provider'>;
  private readonly unconfirmedStops: Counter<'provider'>;

  constructor(
    private readonly sessions: AvatarSessionsRepository,
    private readonly providers: AvatarProviders,
    private readonly influencers: InfluencersService,
    private readonly conversations: ConversationsService,
    private readonly quota: QuotaService,
    private readonly jobs: Jobs,
    private readonly clock: Clock,
    @InjectConfig() private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.endedSessions = metrics.counter({
      name: 'chorus_avatar_sessions_ended_total',
      help: 'Avatar sessions ended, by provider and why (user, max_duration, quota, idle, provider, start_failed, abandoned, account_deleted).',
      labelNames: ['provider', 'reason'],
    });
    this.billedSeconds = metrics.counter({ name: 'chorus_avatar_billed_seconds_total', help: 'Avatar session seconds billed to users, by provider.', labelNames: ['provider'] });
    this.unconfirmedStops = metrics.counter({
      name: 'chorus_avatar_stop_failures_total',
      help: 'Stops the avatar provider did not confirm (each is asked again by the sweeper), by provider.',
      labelNames: ['provider'],
    });
  }

  /**
   * A process that has the database to itself knows every open session is a dead process's: it
   * ends them before the quota's start-up release would give their holds back unbilled.
   */
  async onModuleInit(): Promise<void> {
    this.jobs.define(SWEEP_JOB, { handler: () => this.sweep(), attempts: 1 });
    if (this.config.database.exclusive) await this.endAll();
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.jobs.every(SWEEP_JOB, this.config.avatar.sweepIntervalMs);
  }

  async start(caller: Caller, input: StartSessionInput): Promise<StartedSessionView> {
    const persona = await this.influencers.get(input.influencerId, caller.role === 'admin');
    await this.quota.assertPersonaAllowed(caller, persona.premiumOnly);
    if (!persona.avatar) throw new ProblemException(AvatarProblems.noAvatar, `${persona.displayName} has no live avatar.`);
    if (input.conversationId) {
      const conversation = await this.conversations.get(caller.userId, input.conversationId);
      if (conversation.influencer.id !== persona.id) throw new ProblemException(AvatarProblems.conversationMismatch, 'The conversation is with another persona.');
    }
    // Overrides read now, so that nothing inside the start's transaction queries outside it.
    const payer = await this.quota.withOverrides(caller);
    const limits = await this.quota.limitsFor(payer);
    if (limits && limits.avatar.secondsPerMonth === 0) {
      throw new ProblemException(UsageProblems.planRequired, 'Live avatars are for plans with avatar minutes.', { extensions: { plan: caller.plan } });
    }
    const provider = persona.avatar.provider ?? this.config.avatar.defaultProvider;
    if (!this.providers.has(provider)) throw new ProblemException(AvatarProblems.providerUnavailable, `The avatar provider ${provider} is not configured.`);

    const id = randomUUID();
    const { maxSessionSeconds, minSessionSeconds, idleTimeoutSeconds, startTimeoutSeconds } = this.config.avatar;
    let wanted = 0;
    const reserved = await this.sessions
      .transaction(async (manager) => {
        await this.sessions.lockUser(caller.userId, manager);
        const cap = limits?.avatar.concurrentSessions ?? null;
        if (cap !== null && (await this.sessions.countOpen(caller.userId, manager)) >= cap) {
          throw new ProblemException(AvatarProblems.sessionLimit, `Your plan allows ${cap} live avatar session(s) at a time; stop one first.`, { extensions: { limit: cap } });
        }
        const left = await this.quota.avatarSecondsLeft(caller.userId, limits, manager);
        // Fewer seconds left than a session worth starting: reserving the minimum is refused with the plan's 429.
        wanted = left === null ? maxSessionSeconds : Math.min(maxSessionSeconds, Math.max(left, minSessionSeconds));
        const session = { id, userId: caller.userId, influencerId: persona.id, conversationId: input.conversationId ?? null, provider, avatarId: persona.avatar!.avatarId };
        await this.sessions.insert({ ...session, reservedSeconds: wanted, limitedByQuota: wanted < maxSessionSeconds, createdAt: this.clock.now() }, manager);
        // Held past the session's end by the time the sweeper takes to notice it.
        await this.quota.reserveAvatar(payer, id, wanted, wanted + idleTimeoutSeconds + startTimeoutSeconds + 300, manager);
        return wanted;
      })
      .catch(async (error: unknown) => {
        throw await this.quota.avatarRefusal(error, payer, wanted);
      });

    const voiceId = persona.voice?.provider === provider ? persona.voice.voiceId : undefined;
    const spec = { avatarId: persona.avatar.avatarId, quality: persona.avatar.quality ?? 'high', language: persona.avatar.language ?? 'en', voiceId, maxSeconds: reserved };
    try {
      const opened = await this.providers.call(provider, (client, signal) => client.open(spec, signal));
      // Recorded whatever became of the row meanwhile, so that a session given up while it opened is still stopped there.
      if (!(await this.sessions.recordProviderSession(id, opened.providerSessionId))) throw await this.givenUp(id);
      const started = await this.providers.call(provider, (client, signal) => client.start(opened, signal));
      const seconds = started.maxSeconds === null ? reserved : Math.min(reserved, started.maxSeconds);
      const startedAt = this.clock.now();
      if (!(await this.sessions.markActive(id, startedAt, seconds))) {
        // Ended (by its user or the sweeper) while the provider started it: a stop sent before the start must be sent again.
        await this.sessions.stopUnconfirmed(id);
        throw await this.givenUp(id);
      }
      const session = (await this.sessions.find(id, caller.userId))!;
      this.logger.log(`Avatar session ${id} started on ${provider} for ${seconds} s`);
      return { session: toView(session), join: started.join, expiresAt: new Date(startedAt.getTime() + seconds * 1000) };
    } catch (error) {
      await this.end(id, () => ['failed', 'start_failed']);
      // It never started: whatever it still holds goes back.
      await this.quota.releaseAvatar(id);
      await this.stopIfUnconfirmed(id);
      if (error instanceof ProblemException) throw error;
      throw this.providerProblem(error, provider);
    }
  }

  async list(caller: Caller, query: { limit: number; cursor?: string }): Promise<CursorPage<AvatarSessionView>> {
    const after = query.cursor ? decodeCursor(query.cursor, LIST_CURSOR) : undefined;
    const rows = await this.sessions.listPage(ownerFilter(caller), after ? { createdAt: after.at as string, id: after.id as string } : undefined, query.limit + 1);
    return toCursorPage(rows, query.limit, (row) => ({ at: row.createdAt.toISOString(), id: row.id }), toView);
  }

  async get(caller: Caller, id: string): Promise<AvatarSessionView> {
    return toView(await this.owned(caller, id));
  }

  /** Tells the provider the session is still wanted, and the sweeper that its user is still there. */
  async keepAlive(caller: Caller, id: string): Promise<AvatarSessionView> {
    const session = await this.owned(caller, id);
    // Still starting: there is nothing to keep alive yet, and the start answers soon.
    if (session.status === 'starting') return toView(session);
    if (session.status !== 'active') throw ended(session);
    try {
      await this.providers.call(session.provider, (client, signal) => client.keepAlive(session.providerSessionId!, signal));
    } catch (error) {
      if (!(error instanceof AvatarProviderError && error.kind === 'gone')) throw this.providerProblem(error, session.provider);
      await this.end(id, (locked) => (locked.status === 'active' ? ['expired', 'provider'] : undefined));
    }
    if (!(await this.sessions.touch(id, this.clock.now()))) throw ended((await this.sessions.find(id, null))!);
    return toView((await this.sessions.find(id, null))!);
  }

  /** Stops the session, billing the seconds it ran; stopping an ended session changes nothing. */
  async stop(caller: Caller, id: string): Promise<AvatarSessionView> {
    const session = await this.owned(caller, id);
    await this.end(id, () => ['stopped', session.userId === caller.userId ? 'user' : 'admin']);
    return toView((await this.sessions.find(id, null))!);
  }

  /**
   * The sweep: ends (and bills) every session due (its user banned or deleted, its persona gone,
   * its seconds or keep-alives run out, stuck starting), deciding again on each under its lock (a
   * keep-alive may have come meanwhile), then asks the provider to stop those it has not
   * confirmed stopping, these and any earlier. Failures are retried at the next sweep; the job
   * fails with them so that they show in /metrics.
   */
  async sweep(): Promise<void> {
    const now = this.clock.now();
    const { idleTimeoutSeconds, startTimeoutSeconds } = this.config.avatar;
    const cutoffs = { now, idle: new Date(now.getTime() - idleTimeoutSeconds * 1000), start: new Date(now.getTime() - startTimeoutSeconds * 1000) };
    const failures: unknown[] = [];
    for (const { id, reason } of await this.sessions.closedByAccountOrPersona()) {
      await this.end(id, (locked) => [locked.status === 'active' ? 'expired' : 'failed', reason], { stopNow: false }).catch((error: unknown) => failures.push(error));
    }
    for (const session of await this.sessions.dueToEnd(cutoffs.now, cutoffs.idle, cutoffs.start)) {
      await this.end(session.id, (locked) => dueEnding(locked, cutoffs), { stopNow: false }).catch((error: unknown) => failures.push(error));
    }
    for (const session of await this.sessions.stopsPending()) await this.stopAtProvider(session).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, `Avatar sweep: ${failures.length} session(s) could not be ended or stopped`);
  }

  /** Ends every open session: a process with the database to itself, at start (they are a dead process's). */
  private async endAll(): Promise<void> {
    const now = this.clock.now();
    const open = await this.sessions.dueToEnd(now, now, now, true);
    for (const session of open) await this.end(session.id, (locked) => [locked.status === 'active' ? 'expired' : 'failed', 'abandoned']);
    if (open.length > 0) this.logger.warn(`Ended ${open.length} avatar session(s) left open by a process that stopped`);
  }

  /**
   * Ends an open session once, whoever asks: under its row lock, `decide` says how (or, seeing
   * the row as it is now, that it is not to end after all); the row is marked ended and the
   * seconds it ran billed (to the second, at most its reserved seconds) in the same transaction;
   * one that never started gives its hold back. Then the provider is told to stop it (at once,
   * or by the sweep's second pass).
   */
  private async end(id: string, decide: (session: AvatarSessionEntity) => Ending | undefined, { stopNow = true } = {}): Promise<void> {
    const ended = await this.sessions.transaction(async (manager) => {
      const session = await this.sessions.lockOpen(id, manager);
      const ending = session && decide(session);
      if (!session || !ending) return undefined;
      const [status, reason] = ending;
      const stoppedAt = this.clock.now();
      const billedSeconds = this.billableSeconds(session, stoppedAt, reason);
      await this.sessions.end(id, { status, reason, stoppedAt, billedSeconds }, manager);
      if (session.startedAt && session.userId) {
        const costMicros = Math.round(billedSeconds * this.providers.microsPerSecond(session.provider));
        // No model: the avatar's id is an admin setting, and users read their ledger.
        const charge = { seconds: billedSeconds, costMicros, provider: session.provider, model: null, conversationId: session.conversationId };
        await this.quota.settleAvatar(id, session.userId, charge, session.createdAt, manager);
      }
      return { ...session, stopReason: reason, billedSeconds };
    });
    if (!ended) return;
    this.endedSessions.inc({ provider: ended.provider, reason: ended.stopReason });
    if (ended.billedSeconds > 0) this.billedSeconds.inc({ provider: ended.provider }, ended.billedSeconds);
    if (!ended.startedAt) await this.quota.releaseAvatar(id);
    if (ended.providerSessionId && stopNow) await this.stopAtProvider(ended).catch(() => undefined);
  }

  /**
   * The seconds a session ending at `stoppedAt` ran, at most its reserved seconds. A session a
   * dead process left (`abandoned`) is billed no further than its last keep-alive and the idle
   * grace after it: the time the server was down is not its user's.
   */
  private billableSeconds(session: AvatarSessionEntity, stoppedAt: Date, reason: AvatarStopReason): number {
    if (!session.startedAt) return 0;
    const lastSeen = (session.lastKeepAliveAt ?? session.startedAt).getTime() + this.config.avatar.idleTimeoutSeconds * 1000;
    const until = reason === 'abandoned' ? Math.min(stoppedAt.getTime(), lastSeen) : stoppedAt.getTime();
    return Math.min(session.reservedSeconds, Math.max(0, Math.ceil((until - session.startedAt.getTime()) / 1000)));
  }

  /** Asks the provider to stop the session; recorded when it confirms (the sweeper asks again until then). */
  private async stopAtProvider(session: AvatarSessionEntity): Promise<void> {
    try {
      await this.providers.call(session.provider, (client, signal) => client.stop(session.providerSessionId!, session.stopReason ?? 'abandoned', signal));
    } catch (error) {
      this.unconfirmedStops.inc({ provider: session.provider });
      this.logger.warn(`Avatar session ${session.id}: the provider did not confirm its stop (${(error as Error).message}); the sweeper will ask again`);
      throw error;
    }
    await this.sessions.markProviderStopped(session.id, this.clock.now());
  }

  /** A start given up: the stop it missed is sent now (else by the sweeper). */
  private async stopIfUnconfirmed(id: string): Promise<void> {
    const session = await this.sessions.find(id, null);
    if (session?.stoppedAt && session.providerSessionId && !session.providerStoppedAt) await this.stopAtProvider(session).catch(() => undefined);
  }

  /** The answer to a start whose session was ended (by its user or the sweeper) before it was up. */
  private async givenUp(id: string): Promise<ProblemException> {
    return ended((await this.sessions.find(id, null))!);
  }

  /** A provider's failure as the client sees it: never the provider's key or raw answer, only what kind of failure it was. */
  private providerProblem(error: unknown, provider: string): unknown {
    if (!(error instanceof AvatarProviderError)) return error;
    if (error.kind === 'auth') this.logger.error(`Avatar provider ${provider} refused this deployment's credentials: check its API key`);
    if (error.kind === 'unavailable' || error.kind === 'capacity' || error.kind === 'auth') {
      return new ProblemException(AvatarProblems.providerUnavailable, `The avatar provider ${provider} cannot start a session now; try again later.`);
    }
    return new ProblemException(AvatarProblems.providerFailed, `The avatar provider ${provider} refused the session.`);
  }

  private async owned(caller: Caller, id: string): Promise<AvatarSessionEntity> {
    const session = await this.sessions.find(id, ownerFilter(caller));
    if (!session) throw new ProblemException(CoreProblems.notFound, 'No such avatar session.');
    return session;
  }
}

/** Admins see every session; users their own. */
function ownerFilter(caller: Caller): string | null {
  return caller.role === 'admin' ? null : caller.userId;
}

type Ending = [SessionEnding['status'], AvatarStopReason];

/**
 * How the sweeper ends a session, seen as it is under its lock, at `cutoffs`; undefined when it is
 * not due: its account deleted, its seconds run out (the plan's minutes, or the deployment's
 * maximum), not kept alive since `idle`, or still starting since before `start`.
 */
function dueEnding(session: AvatarSessionEntity, cutoffs: { now: Date; idle: Date; start: Date }): Ending | undefined {
  if (session.userId === null) return [session.status === 'active' ? 'expired' : 'failed', 'account_deleted'];
  if (session.status === 'starting' || !session.startedAt) return session.createdAt <= cutoffs.start ? ['failed', 'abandoned'] : undefined;
  if (session.startedAt.getTime() + session.reservedSeconds * 1000 <= cutoffs.now.getTime()) return ['expired', session.limitedByQuota ? 'quota' : 'max_duration'];
  if ((session.lastKeepAliveAt ?? session.startedAt) <= cutoffs.idle) return ['expired', 'idle'];
  return undefined;
}

function ended(session: AvatarSessionEntity): ProblemException {
  return new ProblemException(AvatarProblems.sessionEnded, `The session is ${session.status}.`, { extensions: { status: session.status as AvatarSessionStatus } });
}

function toView(session: AvatarSessionEntity): AvatarSessionView {
  const { limitedByQuota: _limited, providerStoppedAt: _confirmed, user: _user, ...view } = session;
  return view;
}
