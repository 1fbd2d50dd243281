import { CircuitBreaker, StallError, backoffDelay, sleep, withIdleTimeout, type BreakerState } from './resilience.js';

describe('CircuitBreaker', () => {
  function breaker(threshold = 3, cooldownMs = 1000) {
    const clock = { now: 0 };
    const changes: BreakerState[] = [];
    const sut = new CircuitBreaker({ threshold, cooldownMs, now: () => clock.now, onStateChange: (state) => changes.push(state) });
    return { sut, clock, changes };
  }

  it('opens after the threshold of consecutive failures, and refuses calls while open', () => {
    const { sut, changes } = breaker(3);
    for (let index = 0; index < 2; index += 1) {
      expect(sut.tryAcquire()).toBe(true);
      sut.failure();
    }
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toBe(true);
    sut.failure();
    expect(sut.state).toBe('open');
    expect(sut.tryAcquire()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('counts only consecutive failures: a success in between starts again', () => {
    const { sut } = breaker(2);
    sut.tryAcquire();
    sut.failure();
    sut.tryAcquire();
    sut.success();
    sut.tryAcquire();
    sut.failure();
    expect(sut.state).toBe('closed');
    expect(sut.consecutiveFailures).toBe(1);
  });

  it('half-opens after the cooldown and lets exactly one trial through; its success closes the circuit', () => {
    const { sut, clock, changes } = breaker(1, 1000);
    sut.tryAcquire();
    sut.failure();
    clock.now = 999;
    expect(sut.tryAcquire()).toBe(false);
    clock.now = 1000;
    expect(sut.state).toBe('half_open');
    expect(sut.tryAcquire()).toBe(true);
    expect(sut.tryAcquire()).toBe(false);
    sut.success();
    expect(sut.state).toBe('closed');
    expect(sut.tryAcquire()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens for a full cooldown when the trial fails', () => {
    const { sut, clock } = breaker(1, 1000);
    sut.tryAcquire();
    sut.failure();
    clock.now = 1500;
    expect(sut.tryAcquire()).toBe(true);
    sut.failure();
    expect(sut.state).toBe('open');
    clock.now = 2499;
    expect(sut.tryAcquire()).toBe(false);
    clock.now = 2500;
    expect(sut.tryAcquire()).toBe(true);
  });

  it('gives the trial slot back when the trial is released (cancelled), without closing or reopening', () => {
    const { sut, clock } = breaker(1, 10);
    sut.tryAcquire();
    sut.failure();
    clock.now = 10;
    expect(sut.tryAcquire()).toBe(true);
    sut.release();
    expect(sut.state).toBe('half_open');
    expect(sut.tryAcquire()).toBe(true);
  });

  it('never opens with a threshold of 0', () => {
    const { sut } = breaker(0);
    for (let index = 0; index < 50; index += 1) {
      expect(sut.tryAcquire()).toBe(true);
      sut.failure();
    }
    expect(sut.state).toBe('closed');
  });
});

describe('backoffDelay', () => {
  const options = { baseMs: 100, maxMs: 1000 };

  it('doubles each retry, with half of each step random', () => {
    expect([0, 1, 2].map((retry) => backoffDelay(retry, options, () => 0))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((retry) => backoffDelay(retry, options, () => 1))).toEqual([100, 200, 400]);
  });

  it('is capped', () => {
    expect(backoffDelay(10, options, () => 1)).toBe(1000);
    expect(backoffDelay(10, options, () => 0)).toBe(500);
  });

  it('spreads retries out (jitter)', () => {
    const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3, options)));
    expect(delays.size).toBeGreaterThan(1);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(400);
  });
});

describe('sleep', () => {
  it('resolves true after the delay, false at once when aborted', async () => {
    expect(await sleep(5, new AbortController().signal)).toBe(true);
    const controller = new AbortController();
    const started = Date.now();
    const slept = sleep(10_000, controller.signal);
    controller.abort();
    expect(await slept).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('withIdleTimeout', () => {
  async function* timed(delays: number[], signal?: AbortSignal) {
    for (const [index, delay] of delays.entries()) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (signal?.aborted) return;
      yield index;
    }
  }

  async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
    const items: T[] = [];
    for await (const item of source) items.push(item);
    return items;
  }

  it('passes items through when each comes in time', async () => {
    const sut = withIdleTimeout(timed([5, 5, 5]), { timeoutMs: 200, signal: new AbortController().signal });
    expect(await collect(sut)).toEqual([0, 1, 2]);
  });

  it('throws StallError when the first item is late, and calls onStall first', async () => {
    let stalled = false;
    const sut = withIdleTimeout(timed([300]), { timeoutMs: 30, signal: new AbortController().signal, onStall: () => (stalled = true) });
    const error = await collect(sut).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StallError);
    expect(error).toMatchObject({ itemsBefore: 0, timeoutMs: 30 });
    expect(stalled).toBe(true);
  });

  it('throws StallError when a later item is late', async () => {
    const items: number[] = [];
    const sut = withIdleTimeout(timed([1, 1, 300]), { timeoutMs: 50, signal: new AbortController().signal });
    const error = await (async () => {
      for await (const item of sut) items.push(item);
    })().catch((caught: unknown) => caught);
    expect(items).toEqual([0, 1]);
    expect(error).toMatchObject({ name: 'StallError', itemsBefore: 2 });
  });

  it('ends quietly and at once when the signal aborts, and closes the source', async () => {
    const controller = new AbortController();
    let closed = false;
    async function* endless() {
      try {
        yield 1;
        await new Promise((resolve) => setTimeout(resolve, 300));
        yield 2;
      } finally {
        closed = true;
      }
    }
    const items: number[] = [];
    const started = Date.now();
    for await (const item of withIdleTimeout(endless(), { timeoutMs: 0, signal: controller.signal })) {
      items.push(item);
      controller.abort();
    }
    expect(items).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(250);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(closed).toBe(true);
  });

  it('waits forever with a timeout of 0', async () => {
    const sut = withIdleTimeout(timed([60]), { timeoutMs: 0, signal: new AbortController().signal });
    expect(await collect(sut)).toEqual([0]);
  });
});
