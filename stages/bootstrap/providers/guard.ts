/** Limits in front of a real backend: requests in flight, a budget of calls and tokens, usage and cost. */
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

export interface GuardOptions {
  /** Requests in flight at once (default 1). */
  concurrency?: number;
  /** Uncached calls allowed in this process. */
  maxCalls?: number;
  /** Prompt + completion tokens allowed in this process (checked before each call: the last may overshoot). */
  maxTotalTokens?: number;
  pricePer1kPromptTokens?: number;
  pricePer1kCompletionTokens?: number;
}

export interface Usage {
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** Estimated cost from the configured prices. */
  cost: number;
}

/** The budget is spent: the run stops, keeps its completed shards and resumes on the next run. */
export class BudgetExhaustedError extends Error {
  constructor(
    readonly key: 'bootstrap.max_calls' | 'bootstrap.max_total_tokens',
    readonly limit: number,
    readonly usage: Usage,
  ) {
    super(
      `LLM budget reached: ${key} = ${limit} (used ${usage.calls} calls, ${usage.promptTokens + usage.completionTokens} tokens). ` +
        'Completed shards are kept and answers so far are cached: run again (with a larger budget, or later) to resume.',
    );
    this.name = 'BudgetExhaustedError';
  }
}

export class GuardedProvider implements LlmProvider {
  readonly usage: Usage = { calls: 0, promptTokens: 0, completionTokens: 0, cost: 0 };
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly concurrency: number;

  constructor(
    readonly inner: LlmProvider,
    private readonly options: GuardOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  get name(): string {
    return this.inner.name;
  }

  get model(): string {
    return this.inner.model;
  }

  /** Estimated cost of one result at the configured prices. */
  costOf(res: Pick<CompletionResult, 'promptTokens' | 'completionTokens'>): number {
    const o = this.options;
    return (
      (res.promptTokens * (o.pricePer1kPromptTokens ?? 0) +
        res.completionTokens * (o.pricePer1kCompletionTokens ?? 0)) /
      1000
    );
  }

  async complete(req: CompletionRequest): Promise<CompletionResult> {
    await this.acquire();
    try {
      req.signal?.throwIfAborted();
      this.checkBudget();
      this.usage.calls += 1;
      const res = await this.inner.complete(req);
      this.usage.promptTokens += res.promptTokens;
      this.usage.completionTokens += res.completionTokens;
      this.usage.cost += this.costOf(res);
      return res;
    } finally {
      this.release();
    }
  }

  private checkBudget(): void {
    const { maxCalls, maxTotalTokens } = this.options;
    if (maxCalls !== undefined && this.usage.calls >= maxCalls) {
      throw new BudgetExhaustedError('bootstrap.max_calls', maxCalls, { ...this.usage });
    }
    const tokens = this.usage.promptTokens + this.usage.completionTokens;
    if (maxTotalTokens !== undefined && tokens >= maxTotalTokens) {
      throw new BudgetExhaustedError('bootstrap.max_total_tokens', maxTotalTokens, { ...this.usage });
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise(resolve => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      next(); // the slot passes straight to the next waiter
    else this.active -= 1;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
