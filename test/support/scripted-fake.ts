import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake provider servers share: an HTTP server on 127.0.0.1, answers scripted by each
 * test (`answer` for all, `answerNext` for the next ones), and the requests received, recorded so
 * a test can read them or wait for them. A subclass speaks its protocols in `receive`.
 */
export abstract class ScriptedFake<Answer extends object, Received> {
  /** Every request received, oldest first. */
  readonly requests: Received[] = [];
  private readonly server: Server;
  private answerAll: Answer;
  private readonly nextAnswers: Answer[] = [];
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];

  protected constructor(private readonly normalAnswer: Answer) {
    this.answerAll = normalAnswer;
    this.server = createServer((request, response) => {
      this.receive(request, response).catch((error: unknown) => response.destroy(error as Error));
    });
    // Idle connections stay open longer than any client keeps them: a client that reuses one just as
    // the server closes it fails with a reset, which a slow, busy test run makes likely.
    this.server.keepAliveTimeout = 60_000;
  }

  /** Listens on 127.0.0.1, port 0. */
  protected async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** http://127.0.0.1:port. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** OpenAI's base URL. */
  get openaiBaseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** How the following requests are answered (after any `answerNext`); `{}` answers normally. */
  answer(answer: Answer): this {
    this.answerAll = answer;
    return this;
  }

  /** Answers for the next requests, one each, before `answer`'s. */
  answerNext(...answers: Answer[]): this {
    this.nextAnswers.push(...answers);
    return this;
  }

  /** Resolves once at least `count` requests have arrived in total. */
  async waitForRequests(count: number): Promise<Received[]> {
    if (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    return this.requests;
  }

  /** Normal answers, no recorded request. */
  reset(): void {
    this.answerAll = this.normalAnswer;
    this.nextAnswers.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected abstract receive(request: IncomingMessage, response: ServerResponse): Promise<void>;

  /** The answer the current request gets. */
  protected takeAnswer(): Answer {
    return this.nextAnswers.shift() ?? this.answerAll;
  }

  protected record(request: Received): void {
    this.requests.push(request);
    for (const waiter of this.waiters.filter((candidate) => this.requests.length >= candidate.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }
}
