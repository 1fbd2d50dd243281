import { ProbeModule } from './support/probe.module.js';
import { TestApp } from './support/test-app.js';

describe('graceful shutdown', () => {
  it('lets an in-flight request finish before closing, then refuses new connections', async () => {
    const sut = await TestApp.start({ extraModules: [ProbeModule] });
    // A real listening server: supertest's ephemeral one is not closed by the app.
    const base = await sut.listen();
    const inFlight = fetch(`${base}/api/v1/probe/slow?ms=400`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    let closedAt = 0;
    const closing = sut.close().then(() => (closedAt = Date.now()));
    const response = await inFlight;
    const answeredAt = Date.now();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sleptMs: 400 });

    await closing;
    expect(closedAt).toBeGreaterThanOrEqual(answeredAt);
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });

  it('cuts requests that outlive SHUTDOWN_TIMEOUT_MS', async () => {
    const sut = await TestApp.start({ extraModules: [ProbeModule], env: { SHUTDOWN_TIMEOUT_MS: '200' } });
    // A real listening server: supertest's ephemeral one is not closed by the app.
    const base = await sut.listen();
    // Settled at once: the rejection comes while close() is awaited.
    const stuck = fetch(`${base}/api/v1/probe/slow?ms=5000`).then(
      (response) => `answered ${response.status}`,
      (error: Error) => `failed: ${error.message}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = Date.now();
    await sut.close();
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await stuck).toBe('failed: fetch failed');
  });
});
