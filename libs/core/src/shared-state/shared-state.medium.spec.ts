import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { TcpProxy } from '../../../../test/support/tcp-proxy.js';
import { untilWith, within } from '../../../../test/support/waiting.js';
import { EventLog, MemoryEventLog, RedisEventLog, compareIds, isLogId, type LogBounds, type LoggedEvent, type ReadOptions } from './event-log.js';
import { Leases, MemoryLeases, RedisLeases } from './leases.js';
import { MemoryPubSub, PubSub, RedisPubSub } from './pub-sub.js';
import { CapturedLogger } from '../../../../test/support/captured-logger.js';

// eslint-disable-next-line no-restricted-properties -- whether the machine has a Redis decides which cases run, as in test/support
const REDIS_URL = process.env['REDIS_URL'];

Logger.overrideLogger(new CapturedLogger());

/** Resolves when `condition` holds (checked every 5 ms); fails naming `what` when it does not within 3 s. */
const until = untilWith({ timeoutMs: 3_000, everyMs: 5 });

/** How long `within` waits for a reader: one that hangs fails fast. */
const READER_MS = 3_000;

/** A reader consuming in the background: what it has seen so far, and when it ended. */
interface Follower {
  readonly seen: LoggedEvent[];
  readonly done: Promise<LoggedEvent[]>;
}

function follow(events: AsyncIterable<LoggedEvent>): Follower {
  const seen: LoggedEvent[] = [];
  const done = (async () => {
    for await (const event of events) seen.push(event);
    return seen;
  })();
  // A reader that fails is reported by the assertion awaiting `done`, not as an unhandled rejection.
  done.catch(() => undefined);
  return { seen, done };
}

const ids = (events: readonly LoggedEvent[]) => events.map((event) => event.id);
const ns = (events: readonly LoggedEvent[]) => events.map((event) => (event.data as { n: number }).n);
const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const delta = (n: number) => ({ type: 'reply.delta', data: { n, text: `chunk ${n}` } });
const completed = (n: number) => ({ type: 'reply.completed', data: { n } });
const isLast: ReadOptions['isLast'] = (event) => event.type === 'reply.completed';
const BOUNDS: LogBounds = { maxLength: 1_000, ttlMs: 60_000 };

/** One process of a deployment: its pub/sub, event log and leases. */
interface Process {
  readonly pubsub: PubSub;
  readonly log: EventLog;
  readonly leases: Leases;
  /** With Redis, the client name of its connections (the subscriber's is the one in pub/sub mode). */
  readonly connectionName?: string;
  close(): Promise<void>;
}

/** A deployment's shared state, as SharedStateModule builds it: in memory, or on Redis. */
interface Backend {
  /** A process of the deployment; with Redis, optionally reaching Redis at `url` (a proxy). */
  open(url?: string): Promise<Process>;
  /** Subscriptions to `channel` (unprefixed) that Redis still has; undefined in memory. */
  redisSubscribers(channel: string): Promise<number | undefined>;
  /** Removes what the tests left (Redis keys). */
  cleanUp(): Promise<void>;
}

const memory = (): Backend => ({
  async open() {
    const pubsub = new MemoryPubSub();
    return { pubsub, log: new MemoryEventLog(pubsub), leases: new MemoryLeases(), close: () => pubsub.close() };
  },
  redisSubscribers: async () => undefined,
  cleanUp: async () => undefined,
});

/** A client as connectRedis (redis.module.ts) opens it, named so that a test can find its connections. */
async function connectNamed(url: string, keyPrefix: string, connectionName: string): Promise<Redis> {
  const client = new Redis(url, { lazyConnect: true, keyPrefix, connectTimeout: 5_000, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Redis for one test run: a key (and channel) prefix of its own, shared by the processes it opens. */
function redis(url: string): Backend & { readonly prefix: string; readonly admin: Redis } {
  const prefix = `chorus-test:shared-state:${randomUUID()}:`;
  const admin = new Redis(url, { lazyConnect: true });
  return {
    prefix,
    admin,
    async open(via = url) {
      const connectionName = `chorus-test-${randomUUID()}`;
      const client = await connectNamed(via, prefix, connectionName);
      const pubsub = new RedisPubSub(client, prefix);
      return {
        pubsub,
        log: new RedisEventLog(client, pubsub, prefix),
        leases: new RedisLeases(client),
        connectionName,
        async close() {
          await pubsub.close();
          await client.quit().catch(() => client.disconnect());
        },
      };
    },
    async redisSubscribers(channel) {
      const [, count] = (await admin.call('PUBSUB', 'NUMSUB', prefix + channel)) as [string, number];
      return Number(count);
    },
    async cleanUp() {
      for await (const keys of admin.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await admin.unlink(...keys);
      }
      await admin.quit();
    },
  };
}

/** The pub/sub channel of a log (event-log.ts's `channelOf`). */
const channelOf = (key: string) => `log:${key}`;

/** What a PubSub still holds for listeners: channels with a listener, reconnect listeners. Read from its private fields. */
function listenersOf(pubsub: PubSub): { channels: string[]; reconnectListeners: number; subscriptions: number } {
  const internals = pubsub as unknown as { channels: { listeners: Map<string, Set<unknown>> }; reconnected?: Set<unknown>; subscriptions?: Map<string, unknown> };
  return {
    channels: [...internals.channels.listeners.keys()],
    reconnectListeners: internals.reconnected?.size ?? 0,
    subscriptions: internals.subscriptions?.size ?? 0,
  };
}

const backends: Array<[string, () => Backend]> = [['in memory', memory]];
if (REDIS_URL) backends.push(['on Redis', () => redis(REDIS_URL)]);

/**
 * Medium tier: the shared state behind live replies and inboxes, against one behavioural suite,
 * in memory always and on the machine's Redis when REDIS_URL is set (under a key prefix of its
 * own, removed after). Each test opens a process of its own.
 */
describe.each(backends)('shared state %s', (backendName, makeBackend) => {
  const backend = makeBackend();
  const opened: Process[] = [];
  let proc: Process;
  let log: EventLog;

  async function open(): Promise<Process> {
    const opening = await backend.open();
    opened.push(opening);
    return opening;
  }

  /** Nothing left subscribed for the log of `key`, in the process nor (with Redis) in Redis. */
  async function expectNoSubscriptionLeft(of: Process, key: string): Promise<void> {
    await until('no subscriber is left in Redis', async () => ((await backend.redisSubscribers(channelOf(key))) ?? 0) === 0);
    expect(listenersOf(of.pubsub)).toEqual({ channels: [], reconnectListeners: 0, subscriptions: 0 });
  }

  beforeEach(async () => {
    proc = await open();
    log = proc.log;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
  });

  afterAll(async () => {
    await backend.cleanUp();
  });

  it('tells whether it is shared', () => {
    expect(proc.pubsub.shared).toBe(backendName === 'on Redis');
    expect(log.shared).toBe(proc.pubsub.shared);
  });

  describe('EventLog: append, range, last', () => {
    it('keeps events in order with their type and data, and ranges after an id', async () => {
      const key = randomUUID();
      const data = [{ text: 'héllo wörld 🌍', nested: { list: [1, 'two', null] } }, 'a string with spaces', 42];
      for (const [i, value] of data.entries()) await expect(log.append(key, { type: `t${i}`, data: value }, BOUNDS, i + 1)).resolves.toBe(String(i + 1));

      const all = [
        { id: '1', type: 't0', data: data[0] },
        { id: '2', type: 't1', data: data[1] },
        { id: '3', type: 't2', data: data[2] },
      ];
      expect(await log.range(key, '0')).toEqual(all);
      expect(await log.range(key, '1')).toEqual(all.slice(1));
      expect(await log.range(key, '3')).toEqual([]);
      expect(await log.range(key, '99')).toEqual([]);
      expect(await log.last(key)).toEqual(all[2]);
    });

    it('knows nothing of a key never appended to', async () => {
      const key = randomUUID();
      expect(await log.range(key, '0')).toEqual([]);
      expect(await log.last(key)).toBeUndefined();
    });

    it('takes a writer-given id only above the last, appending nothing otherwise; ids may skip', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      await log.append(key, delta(2), BOUNDS, 2);

      await expect(log.append(key, delta(2), BOUNDS, 2)).rejects.toThrow();
      await expect(log.append(key, delta(1), BOUNDS, 1)).rejects.toThrow();
      await expect(log.append(key, delta(0), BOUNDS, 0)).rejects.toThrow();
      expect(ids(await log.range(key, '0'))).toEqual(['1', '2']);
      expect(await log.last(key)).toMatchObject({ id: '2', data: { n: 2 } });

      await expect(log.append(key, delta(5), BOUNDS, 5)).resolves.toBe('5');
      expect(ids(await log.range(key, '0'))).toEqual(['1', '2', '5']);
      expect(ids(await log.range(key, '2'))).toEqual(['5']);
    });

    it('a rejected append tells no follower', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      const reader = follow(log.read(key, '0', { isLast }));
      await until('the reader replayed', () => reader.seen.length === 1);
      await expect(log.append(key, delta(1), BOUNDS, 1)).rejects.toThrow();
      await log.append(key, completed(2), BOUNDS, 2);
      expect(ids(await within(reader.done, READER_MS, 'the reader'))).toEqual(['1', '2']);
      expect(ns(reader.seen)).toEqual([1, 2]);
    });

    it('generates increasing ids that a client can send back', async () => {
      const key = randomUUID();
      const given: string[] = [];
      for (let n = 1; n <= 20; n++) given.push(await log.append(key, delta(n), BOUNDS));

      for (const id of given) expect(isLogId(id)).toBe(true);
      for (let i = 1; i < given.length; i++) expect(compareIds(given[i]!, given[i - 1]!)).toBeGreaterThan(0);
      expect(ids(await log.range(key, '0'))).toEqual(given);
      expect(ns(await log.range(key, given[16]!))).toEqual([18, 19, 20]);
      expect(await log.last(key)).toMatchObject({ id: given[19], data: { n: 20 } });
    });
  });

  describe('EventLog: read', () => {
    it('replays exactly what follows the id, then follows what is appended, up to the last event', async () => {
      const key = randomUUID();
      for (let n = 1; n <= 3; n++) await log.append(key, delta(n), BOUNDS, n);

      const reader = follow(log.read(key, '1', { isLast }));
      await until('the replay is read', () => reader.seen.length === 2);
      await log.append(key, delta(4), BOUNDS, 4);
      await until('the live event is read', () => reader.seen.length === 3);
      await log.append(key, completed(5), BOUNDS, 5);

      const events = await within(reader.done, READER_MS, 'the reader to end');
      expect(ids(events)).toEqual(['2', '3', '4', '5']);
      expect(events.at(-1)).toEqual({ id: '5', type: 'reply.completed', data: { n: 5 } });
      await expectNoSubscriptionLeft(proc, key);
    });

    it('reads a log that has no event yet from its first', async () => {
      const key = randomUUID();
      const reader = follow(log.read(key, '0', { isLast }));
      await until('the reader is subscribed', () => listenersOf(proc.pubsub).channels.length === 1);
      await log.append(key, delta(1), BOUNDS, 1);
      await log.append(key, completed(2), BOUNDS, 2);
      expect(ids(await within(reader.done, READER_MS, 'the reader to end'))).toEqual(['1', '2']);
    });

    it.each([
      ['writer-given', true],
      ['generated', false],
    ])('with %s ids, a reader starting mid-way while 500 events are appended in a tight loop reads each once, in order', async (_kind, writerIds) => {
      const key = randomUUID();
      const appended: string[] = [];
      let reader: Follower | undefined;
      let fromStart: Follower | undefined;
      for (let n = 1; n <= 500; n++) {
        appended.push(await log.append(key, n === 500 ? completed(n) : delta(n), BOUNDS, writerIds ? n : undefined));
        if (n === 250) reader = follow(log.read(key, appended[99]!, { isLast }));
        if (n === 400) fromStart = follow(log.read(key, '0', { isLast }));
      }

      const events = await within(reader!.done, READER_MS, 'the reader to end');
      expect(ids(events)).toEqual(appended.slice(100));
      expect(ns(events)).toEqual(numbers(101, 500));
      expect(ids(await within(fromStart!.done, READER_MS, 'the second reader to end'))).toEqual(appended);
      await expectNoSubscriptionLeft(proc, key);
    });

    it('a reader starting while 500 appends are in flight at once reads each once, in order', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      const appends: Array<Promise<string>> = [];
      let reader: Follower | undefined;
      for (let n = 2; n <= 500; n++) {
        appends.push(log.append(key, n === 500 ? completed(n) : delta(n), BOUNDS, n));
        if (n === 250) reader = follow(log.read(key, '100', { isLast }));
      }
      await Promise.all(appends);

      const events = await within(reader!.done, READER_MS, 'the reader to end');
      expect(ns(events)).toEqual(numbers(101, 500));
      expect(ids(events)).toEqual(numbers(101, 500).map(String));
    });

    it('ends after the event isLast picks, reading nothing appended after it', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      await log.append(key, completed(2), BOUNDS, 2);
      await log.append(key, delta(3), BOUNDS, 3);

      expect(ids(await within(follow(log.read(key, '0', { isLast })).done, READER_MS, 'a replay ending at the last event'))).toEqual(['1', '2']);
      await expectNoSubscriptionLeft(proc, key);
    });

    it('stop ends a reader waiting for events, and leaves no subscription behind', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      const stop = new AbortController();
      const reader = follow(log.read(key, '0', { stop: stop.signal, isLast }));
      await until('the reader is subscribed and has replayed', () => reader.seen.length === 1);
      expect(listenersOf(proc.pubsub).channels).toEqual([channelOf(key)]);
      if (backendName === 'on Redis') expect(await backend.redisSubscribers(channelOf(key))).toBe(1);

      stop.abort();

      expect(ids(await within(reader.done, READER_MS, 'the reader to stop'))).toEqual(['1']);
      await expectNoSubscriptionLeft(proc, key);
      // Appending after it left reaches nobody, and breaks nothing.
      await log.append(key, delta(2), BOUNDS, 2);
      expect(reader.seen).toHaveLength(1);
    });

    it('a reader given a signal already aborted ends, and leaves no subscription behind', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      await within(follow(log.read(key, '0', { stop: AbortSignal.abort(), isLast })).done, READER_MS, 'the reader to end');
      await expectNoSubscriptionLeft(proc, key);
    });

    it('a consumer that breaks off leaves no subscription behind', async () => {
      const key = randomUUID();
      for (let n = 1; n <= 3; n++) await log.append(key, delta(n), BOUNDS, n);
      const read: string[] = [];
      for await (const event of log.read(key, '0')) {
        read.push(event.id);
        if (event.id === '2') break;
      }
      expect(read).toEqual(['1', '2']);
      await expectNoSubscriptionLeft(proc, key);
    });

    it('two readers of one key read every event; one leaving does not stop the other', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), BOUNDS, 1);
      const leaving = new AbortController();
      const first = follow(log.read(key, '0', { stop: leaving.signal, isLast }));
      const second = follow(log.read(key, '0', { isLast }));
      await log.append(key, delta(2), BOUNDS, 2);
      await until('both read event 2', () => first.seen.length === 2 && second.seen.length === 2);
      expect(listenersOf(proc.pubsub).channels).toEqual([channelOf(key)]);

      leaving.abort();
      expect(ids(await within(first.done, READER_MS, 'the first reader to stop'))).toEqual(['1', '2']);
      // Still subscribed for the second.
      expect(listenersOf(proc.pubsub).channels).toEqual([channelOf(key)]);
      if (backendName === 'on Redis') expect(await backend.redisSubscribers(channelOf(key))).toBe(1);

      for (let n = 3; n <= 5; n++) await log.append(key, n === 5 ? completed(n) : delta(n), BOUNDS, n);
      expect(ids(await within(second.done, READER_MS, 'the second reader to end'))).toEqual(['1', '2', '3', '4', '5']);
      await expectNoSubscriptionLeft(proc, key);
    });

    it("readers of two keys never see each other's events", async () => {
      const [red, blue] = [randomUUID(), randomUUID()];
      const redReader = follow(log.read(red, '0', { isLast }));
      const blueReader = follow(log.read(blue, '0', { isLast }));
      await until('both readers are subscribed', () => listenersOf(proc.pubsub).channels.length === 2);
      for (let n = 1; n <= 3; n++) {
        await log.append(red, { type: 'red', data: { n } }, BOUNDS, n);
        await log.append(blue, { type: 'blue', data: { n } }, BOUNDS);
      }
      await log.append(red, completed(4), BOUNDS, 4);
      await log.append(blue, completed(4), BOUNDS);

      const redEvents = await within(redReader.done, READER_MS, 'the red reader');
      const blueEvents = await within(blueReader.done, READER_MS, 'the blue reader');
      expect(redEvents.map((event) => event.type)).toEqual(['red', 'red', 'red', 'reply.completed']);
      expect(blueEvents.map((event) => event.type)).toEqual(['blue', 'blue', 'blue', 'reply.completed']);
      expect(ns(redEvents)).toEqual([1, 2, 3, 4]);
      expect(ns(blueEvents)).toEqual([1, 2, 3, 4]);
    });
  });

  describe('EventLog: bounds', () => {
    /** Redis trims whole stream nodes (stream-node-max-entries, 100 by default): up to a node more may be kept. */
    const slack = backendName === 'on Redis' ? 100 : 0;

    it.each([
      ['writer-given', true],
      ['generated', false],
    ])('keeps about the last maxLength events, the newest always (%s ids)', async (_kind, writerIds) => {
      const key = randomUUID();
      const bounds = { maxLength: 20, ttlMs: 60_000 };
      const appended: string[] = [];
      for (let n = 1; n <= 350; n++) appended.push(await log.append(key, delta(n), bounds, writerIds ? n : undefined));

      const kept = await log.range(key, '0');
      expect(kept.length).toBeGreaterThanOrEqual(20);
      expect(kept.length).toBeLessThanOrEqual(20 + slack);
      // The newest, contiguous up to the last.
      expect(ids(kept)).toEqual(appended.slice(-kept.length));
      expect(ns(kept)).toEqual(numbers(351 - kept.length, 350));
      expect(await log.last(key)).toMatchObject({ id: appended.at(-1), data: { n: 350 } });
      // A replay from the start reads only what is kept.
      const replay = follow(log.read(key, '0', { isLast: (event) => event.id === appended.at(-1) }));
      expect(ids(await within(replay.done, READER_MS, 'the replay'))).toEqual(ids(kept));
    });

    it('the log disappears ttlMs after its last append', async () => {
      const key = randomUUID();
      await log.append(key, delta(1), { maxLength: 10, ttlMs: 200 }, 1);
      expect(await log.last(key)).toBeDefined();
      await until('the log expired', async () => (await log.last(key)) === undefined);
      expect(await log.range(key, '0')).toEqual([]);
      // Gone: a new log starts, taking id 1 again.
      await expect(log.append(key, delta(1), { maxLength: 10, ttlMs: 200 }, 1)).resolves.toBe('1');
    });

    it('each append sets the expiry anew', async () => {
      const [key, canary] = [randomUUID(), randomUUID()];
      await log.append(key, delta(1), { maxLength: 10, ttlMs: 100 }, 1);
      await log.append(key, delta(2), { maxLength: 10, ttlMs: 60_000 }, 2);
      await log.append(canary, delta(1), { maxLength: 10, ttlMs: 100 }, 1);
      await until('the canary expired', async () => (await log.last(canary)) === undefined);
      expect(ids(await log.range(key, '0'))).toEqual(['1', '2']);

      // And shortens it, too: the last append's ttl is what counts.
      await log.append(key, delta(3), { maxLength: 10, ttlMs: 100 }, 3);
      await until('the log expired', async () => (await log.last(key)) === undefined);
    });

    it('expire shortens the time left, and does not create a log', async () => {
      const [key, absent] = [randomUUID(), randomUUID()];
      await log.append(key, delta(1), { maxLength: 10, ttlMs: 60_000 }, 1);
      await log.expire(key, 100);
      await until('the log expired', async () => (await log.last(key)) === undefined);

      await log.expire(absent, 60_000);
      expect(await log.last(absent)).toBeUndefined();
      await expect(log.append(absent, delta(1), BOUNDS, 1)).resolves.toBe('1');
    });
  });

  describe('PubSub', () => {
    it('delivers each message, in order, to every listener of its channel only', async () => {
      const { pubsub } = proc;
      const [channel, other] = [`test:${randomUUID()}`, `test:${randomUUID()}`];
      const first: string[] = [];
      const second: string[] = [];
      const elsewhere: string[] = [];
      const stopFirst = await pubsub.subscribe(channel, (message) => first.push(message));
      const stopSecond = await pubsub.subscribe(channel, (message) => second.push(message));
      const stopElsewhere = await pubsub.subscribe(other, (message) => elsewhere.push(message));

      const messages = ['one', 'two words', 'ünïcode 🚀', '', JSON.stringify({ a: [1, 2] })];
      for (const message of messages) await pubsub.publish(channel, message);
      await until('both listeners got every message', () => first.length === messages.length && second.length === messages.length);
      expect(first).toEqual(messages);
      expect(second).toEqual(messages);

      stopFirst();
      await pubsub.publish(channel, 'after');
      await until('the second got it', () => second.length === messages.length + 1);
      expect(first).toHaveLength(messages.length);
      expect(elsewhere).toEqual([]);

      stopSecond();
      stopElsewhere();
      await until('no subscriber left in Redis', async () => ((await backend.redisSubscribers(channel)) ?? 0) + ((await backend.redisSubscribers(other)) ?? 0) === 0);
      expect(listenersOf(pubsub).channels).toEqual([]);
    });

    it('a listener subscribed again right after the channel was left gets what follows', async () => {
      const { pubsub } = proc;
      const channel = `test:${randomUUID()}`;
      const stopFirst = await pubsub.subscribe(channel, () => undefined);
      stopFirst();
      const got: string[] = [];
      const stop = await pubsub.subscribe(channel, (message) => got.push(message));
      await pubsub.publish(channel, 'hello');
      await until('the message arrived', () => got.length === 1);
      expect(got).toEqual(['hello']);
      stop();
    });
  });

  describe('Leases', () => {
    it('holds, tells which keys are held, and releases', async () => {
      const { leases } = proc;
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await leases.hold([a, b], 60_000);
      expect(await leases.held([a, b, c])).toEqual([true, true, false]);
      expect(await leases.held([c, a, c, b])).toEqual([false, true, false, true]);

      await leases.release(a);
      expect(await leases.held([a, b, c])).toEqual([false, true, false]);
      await leases.release(c);
      expect(await leases.held([c])).toEqual([false]);
    });

    it('takes empty lists', async () => {
      await expect(proc.leases.hold([], 1_000)).resolves.toBeUndefined();
      expect(await proc.leases.held([])).toEqual([]);
    });

    it('a lease lapses after its ttl unless renewed', async () => {
      const { leases } = proc;
      const [lapsing, renewed] = [randomUUID(), randomUUID()];
      await leases.hold([lapsing, renewed], 100);
      await leases.hold([renewed], 60_000);
      expect(await leases.held([lapsing, renewed])).toEqual([true, true]);
      await until('the lease lapsed', async () => !(await leases.held([lapsing]))[0]);
      expect(await leases.held([lapsing, renewed])).toEqual([false, true]);
    });
  });

  if (backendName !== 'on Redis') return;

  describe('two processes on one Redis', () => {
    const redisBackend = backend as ReturnType<typeof redis>;

    /**
     * Kills, from another connection, one of the two connections of `of`: the one it subscribes
     * on (in pub/sub mode), or its client's; as an operator or a failover would.
     */
    async function killConnection(of: Process, which: 'subscriber' | 'client' = 'subscriber'): Promise<void> {
      const clients = (await redisBackend.admin.call('CLIENT', 'LIST')) as string;
      const found = clients
        .split('\n')
        .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=', 2) as [string, string])))
        .filter((client) => client['name'] === of.connectionName && client['flags']?.includes('P') === (which === 'subscriber'));
      expect(found).toHaveLength(1);
      await redisBackend.admin.call('CLIENT', 'KILL', 'ID', found[0]!['id']!);
    }

    it("a reader in one process follows what another appends, live, and the other's generated ids", async () => {
      const other = await open();
      const [reply, inbox] = [randomUUID(), randomUUID()];
      await other.log.append(reply, delta(1), BOUNDS, 1);
      const replyReader = follow(log.read(reply, '0', { isLast }));
      const inboxReader = follow(log.read(inbox, '0', { isLast }));
      await until('the replay is read', () => replyReader.seen.length === 1);
      await until('both readers are subscribed', async () => (await redisBackend.redisSubscribers(channelOf(inbox))) === 1);

      const inboxIds: string[] = [];
      for (let n = 2; n <= 50; n++) {
        await other.log.append(reply, n === 50 ? completed(n) : delta(n), BOUNDS, n);
        inboxIds.push(await other.log.append(inbox, n === 50 ? completed(n) : delta(n), BOUNDS));
      }
      expect(ns(await within(replyReader.done, READER_MS, 'the reply reader'))).toEqual(numbers(1, 50));
      expect(ids(await within(inboxReader.done, READER_MS, 'the inbox reader'))).toEqual(inboxIds);
      expect(await log.last(inbox)).toMatchObject({ id: inboxIds.at(-1) });
    });

    it('a message published by one process reaches the listeners of the other', async () => {
      const other = await open();
      const channel = `test:${randomUUID()}`;
      const here: string[] = [];
      const there: string[] = [];
      const stopHere = await proc.pubsub.subscribe(channel, (message) => here.push(message));
      const stopThere = await other.pubsub.subscribe(channel, (message) => there.push(message));
      await other.pubsub.publish(channel, 'from there');
      await proc.pubsub.publish(channel, 'from here');
      await until('both got both', () => here.length === 2 && there.length === 2);
      expect(here).toEqual(['from there', 'from here']);
      expect(there).toEqual(['from there', 'from here']);
      stopHere();
      stopThere();
    });

    it('a lease held by one process is seen held by the other until released', async () => {
      const other = await open();
      const key = randomUUID();
      await other.leases.hold([key], 60_000);
      expect(await proc.leases.held([key])).toEqual([true]);
      await other.leases.release(key);
      expect(await proc.leases.held([key])).toEqual([false]);
    });

    it('a reader whose subscriber connection is killed reads what was appended meanwhile once it is back, then follows', async () => {
      const writer = await open();
      const key = randomUUID();
      await writer.log.append(key, delta(1), BOUNDS, 1);
      const reader = follow(log.read(key, '0', { isLast }));
      await until('the reader replayed and is subscribed', async () => reader.seen.length === 1 && (await redisBackend.redisSubscribers(channelOf(key))) === 1);

      await killConnection(proc);
      // Redis dropped the subscription: these are published to nobody.
      expect(await redisBackend.redisSubscribers(channelOf(key))).toBe(0);
      await writer.log.append(key, delta(2), BOUNDS, 2);
      await writer.log.append(key, delta(3), BOUNDS, 3);

      await until('the reader read what it missed', () => reader.seen.length === 3);
      await until('resubscribed', async () => (await redisBackend.redisSubscribers(channelOf(key))) === 1);
      await writer.log.append(key, delta(4), BOUNDS, 4);
      await writer.log.append(key, completed(5), BOUNDS, 5);

      expect(ids(await within(reader.done, READER_MS, 'the reader to end'))).toEqual(['1', '2', '3', '4', '5']);
      await expectNoSubscriptionLeft(proc, key);
    });

    it('a slow reader whose connection is killed reads what was missed before what came live after the reconnect', async () => {
      const writer = await open();
      const key = randomUUID();
      await writer.log.append(key, delta(1), BOUNDS, 1);
      // The consumer takes one event and then is busy (a slow client): the reader waits at that event.
      const events = log.read(key, '0', { isLast })[Symbol.asyncIterator]();
      expect((await events.next()).value).toMatchObject({ id: '1' });
      const arrived: string[] = [];
      const stopProbe = await proc.pubsub.subscribe(channelOf(key), (message) => arrived.push(message));

      await killConnection(proc);
      await writer.log.append(key, delta(2), BOUNDS, 2);
      await writer.log.append(key, delta(3), BOUNDS, 3);
      await until('resubscribed', async () => (await redisBackend.redisSubscribers(channelOf(key))) === 1);
      await writer.log.append(key, completed(4), BOUNDS, 4);
      await until('event 4 reached the process live', () => arrived.length === 1);
      stopProbe();

      const rest: string[] = [];
      for (let next = await events.next(); !next.done; next = await events.next()) rest.push(next.value.id);
      expect(rest).toEqual(['2', '3', '4']);
      await expectNoSubscriptionLeft(proc, key);
    });

    it('a reader whose process loses both its connections reads what was missed, though its subscriber is back first', async () => {
      const writer = await open();
      const key = randomUUID();
      await writer.log.append(key, delta(1), BOUNDS, 1);
      const reader = follow(log.read(key, '0', { isLast }));
      await until('the reader replayed and is subscribed', async () => reader.seen.length === 1 && (await redisBackend.redisSubscribers(channelOf(key))) === 1);

      // The subscriber first: it tends to be first back too, the client still reconnecting (a few times, to catch that).
      for (let round = 0; round < 3; round++) {
        await killConnection(proc, 'subscriber');
        await killConnection(proc, 'client');
        for (let i = 0; i < 2; i++) await writer.log.append(key, delta(reader.seen.length + i + 1), BOUNDS, reader.seen.length + i + 1);
        await until('the reader read what it missed', () => reader.seen.length === 3 + 2 * round);
        await until('the client is back', async () => (await proc.log.last(key).catch(() => undefined)) !== undefined);
      }
      await writer.log.append(key, completed(8), BOUNDS, 8);
      expect(ids(await within(reader.done, READER_MS, 'the reader to end'))).toEqual(numbers(1, 8).map(String));
    });

    it('a reader whose process loses Redis altogether for a moment reads every event once it is back', async () => {
      const proxy = await TcpProxy.start(withPort(REDIS_URL!));
      const cutOff = await redisBackend.open(proxy.urlFor(withPort(REDIS_URL!)));
      try {
        const key = randomUUID();
        await log.append(key, delta(1), BOUNDS, 1);
        const reader = follow(cutOff.log.read(key, '0', { isLast }));
        await until('the reader replayed and is subscribed', async () => reader.seen.length === 1 && (await redisBackend.redisSubscribers(channelOf(key))) === 1);

        // Which of its two connections comes back first varies: a few outages try both orders.
        for (let round = 0; round < 3; round++) {
          proxy.cut();
          await until('the subscription is gone', async () => (await redisBackend.redisSubscribers(channelOf(key))) === 0);
          for (let i = 0; i < 2; i++) await log.append(key, delta(reader.seen.length + i + 1), BOUNDS, reader.seen.length + i + 1);
          proxy.restore();
          await until('the reader read what it missed', () => reader.seen.length === 3 + 2 * round);
        }
        await log.append(key, completed(8), BOUNDS, 8);
        expect(ids(await within(reader.done, READER_MS, 'the reader to end'))).toEqual(numbers(1, 8).map(String));
      } finally {
        // Before the proxy goes: a process closing with Redis out of reach may wait for it.
        await cutOff.close();
        await proxy.close();
      }
    });
  });
});

/** A Redis URL with its port spelled out (TcpProxy defaults to PostgreSQL's). */
function withPort(url: string): string {
  const parsed = new URL(url);
  if (!parsed.port) parsed.port = '6379';
  return parsed.toString();
}
