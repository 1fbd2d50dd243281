import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';

/** Receives the messages of one channel. */
export type ChannelListener = (message: string) => void;

/**
 * Messages between the processes of a deployment (a cancel for the process generating a
 * reply, an event for the processes following it), at most once: a process that is not
 * subscribed when a message is published never sees it. With Redis, Redis pub/sub on one
 * subscriber connection per process; without, delivery within this process.
 */
export abstract class PubSub {
  /** Whether messages reach other processes (Redis) or only this one. */
  abstract readonly shared: boolean;

  abstract publish(channel: string, message: string): Promise<void>;

  /** Calls `listener` with each message published on `channel` from now on; resolves once subscribed, with the way to stop. */
  abstract subscribe(channel: string, listener: ChannelListener): Promise<() => void>;

  /**
   * Calls `listener` after the subscriber connection was lost and is back: messages published
   * meanwhile were missed, and whoever must not miss any reads them again from where they
   * are kept. Returns the way to stop.
   */
  abstract onReconnected(listener: () => void): () => void;

  abstract close(): Promise<void>;
}

/** Listeners by channel, shared by both implementations. */
class Channels {
  private readonly listeners = new Map<string, Set<ChannelListener>>();

  /** Adds a listener; answers whether it is the channel's first. */
  add(channel: string, listener: ChannelListener): boolean {
    let set = this.listeners.get(channel);
    const first = !set;
    if (!set) this.listeners.set(channel, (set = new Set()));
    set.add(listener);
    return first;
  }

  /** Removes a listener; answers whether the channel has none left. */
  remove(channel: string, listener: ChannelListener): boolean {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return false;
    this.listeners.delete(channel);
    return true;
  }

  deliver(channel: string, message: string): void {
    for (const listener of this.listeners.get(channel) ?? []) listener(message);
  }
}

/** Delivery within this process, for a deployment of one process without Redis. */
export class MemoryPubSub extends PubSub {
  readonly shared = false;
  private readonly channels = new Channels();

  async publish(channel: string, message: string): Promise<void> {
    this.channels.deliver(channel, message);
  }

  async subscribe(channel: string, listener: ChannelListener): Promise<() => void> {
    this.channels.add(channel, listener);
    return () => void this.channels.remove(channel, listener);
  }

  onReconnected(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {}
}

/**
 * Redis pub/sub. Channels are named with the deployment's key prefix (ioredis does not
 * prefix channels). One subscriber connection serves every listener of the process: a
 * channel is subscribed to on its first listener and left after its last.
 */
export class RedisPubSub extends PubSub {
  readonly shared = true;
  private readonly logger = new Logger('Redis');
  private readonly channels = new Channels();
  private readonly reconnected = new Set<() => void>();
  /** Each channel's SUBSCRIBE, which every listener waits for, not only the first. */
  private readonly subscriptions = new Map<string, Promise<unknown>>();
  private readonly subscriber: Redis;
  private wasReady = false;
  /**
   * Messages received since the subscriber reconnected, while the client is not back yet:
   * delivered after the reconnect listeners were told (see afterReconnect).
   */
  private held: Array<[channel: string, message: string]> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly prefix: string,
  ) {
    super();
    // A subscribed connection can run nothing else; it keeps its own prefix-free channel names.
    this.subscriber = client.duplicate({ keyPrefix: '', enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber.on('error', (error: Error) => this.logger.warn(`Redis subscriber error: ${error.message}`));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (this.held) this.held.push([channel, message]);
      else this.channels.deliver(channel.slice(this.prefix.length), message);
    });
    // ioredis subscribes again after a reconnect by itself; what was published in between is gone.
    this.subscriber.on('ready', () => {
      if (this.wasReady) this.afterReconnect();
      this.wasReady = true;
    });
  }

  /**
   * Tells the reconnect listeners once the subscriptions are back and the client is ready too:
   * they read what they missed with the client, and when both connections dropped it is often
   * back after the subscriber. Until then messages are held: none may reach a listener before
   * it was told of the gap.
   */
  private afterReconnect(): void {
    if (this.held) return;
    this.held = [];
    const resume = () => {
      const held = this.held ?? [];
      this.held = undefined;
      for (const listener of this.reconnected) listener();
      for (const [channel, message] of held) this.channels.deliver(channel.slice(this.prefix.length), message);
    };
    // The SUBSCRIBEs ioredis sends again on reconnect are answered before this PING: a read after it misses nothing.
    void this.subscriber
      .ping()
      .catch(() => undefined)
      .then(() => (this.client.status === 'ready' ? resume() : this.client.once('ready', resume)));
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, listener: ChannelListener): Promise<() => void> {
    if (this.channels.add(channel, listener)) this.subscriptions.set(channel, this.subscriber.subscribe(this.prefix + channel));
    const stop = () => {
      if (!this.channels.remove(channel, listener)) return;
      this.subscriptions.delete(channel);
      void this.subscriber.unsubscribe(this.prefix + channel).catch(() => undefined);
    };
    try {
      // The subscriber queues commands while it reconnects: a subscription waits that long, no longer.
      await Promise.race([this.subscriptions.get(channel), rejectAfter(SUBSCRIBE_TIMEOUT_MS, 'Redis did not confirm a subscription in time')]);
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  onReconnected(listener: () => void): () => void {
    this.reconnected.add(listener);
    return () => this.reconnected.delete(listener);
  }

  async close(): Promise<void> {
    // QUIT waits behind what is queued while Redis is unreachable: shutdown does not.
    await Promise.race([this.subscriber.quit(), rejectAfter(SUBSCRIBE_TIMEOUT_MS, 'QUIT timed out')]).catch(() => this.subscriber.disconnect());
  }
}

const SUBSCRIBE_TIMEOUT_MS = 5_000;

function rejectAfter(ms: number, message: string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}
