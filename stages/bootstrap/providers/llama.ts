/** Embedded LLM through node-llama-cpp: CPU, one context sequence, plain text completion. */
import { basename } from 'node:path';
import type { Llama, LlamaCompletion, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { CompletionRequest, CompletionResult, LlmProvider } from './types.js';

export interface LlamaProviderOptions {
  modelPath: string;
  /** CPU threads (default 1: on 2 shared cores, 2 threads ran 20x slower than 1). */
  threads?: number;
  /** Context window in tokens, prompt + completion (default 2048). */
  contextSize?: number;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
}

export class LlamaProvider implements LlmProvider {
  readonly name = 'llama';
  readonly model: string;
  private readonly threads: number;
  private readonly contextSize: number;
  private loading: Promise<Loaded> | undefined;
  /** Calls run one after another on the single sequence. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: LlamaProviderOptions) {
    this.model = basename(options.modelPath);
    this.threads = options.threads ?? 1;
    this.contextSize = options.contextSize ?? 2048;
  }

  private load(): Promise<Loaded> {
    this.loading ??= (async () => {
      const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp');
      const llama = await getLlama({
        gpu: false,
        maxThreads: this.threads,
        logLevel: LlamaLogLevel.error,
        build: 'never',
      });
      try {
        const model = await llama.loadModel({ modelPath: this.options.modelPath, gpuLayers: 0 });
        const context = await model.createContext({
          contextSize: this.contextSize,
          threads: this.threads,
          sequences: 1,
        });
        const sequence = context.getSequence();
        const completion = new LlamaCompletion({ contextSequence: sequence });
        return { llama, model, context, sequence, completion };
      } catch (err) {
        await llama.dispose();
        throw new Error(`llama: cannot load ${this.options.modelPath}: ${(err as Error).message}`, { cause: err });
      }
    })();
    return this.loading;
  }

  complete(req: CompletionRequest): Promise<CompletionResult> {
    if (this.closed) return Promise.reject(new Error('llama provider is closed'));
    const run = this.queue.then(() => this.run(req));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(req: CompletionRequest): Promise<CompletionResult> {
    req.signal?.throwIfAborted();
    const { model, sequence, completion } = await this.load();
    const promptTokens = model.tokenize(req.prompt).length;
    if (promptTokens + 1 >= this.contextSize) {
      throw new Error(`llama: prompt of ${promptTokens} tokens does not fit the context of ${this.contextSize}`);
    }
    // Start every prompt from an empty sequence: KV-prefix reuse changes the sampled text.
    await sequence.clearHistory();
    let completionTokens = 0;
    const res = await completion.generateCompletionWithMeta(req.prompt, {
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      seed: req.seed,
      customStopTriggers: req.stop && req.stop.length > 0 ? req.stop : undefined,
      signal: req.signal,
      disableContextShift: true,
      onToken: tokens => {
        completionTokens += tokens.length;
      },
    });
    const reason = res.metadata.stopReason;
    const finishReason = reason === 'maxTokens' ? 'length' : reason === 'abort' ? 'abort' : 'stop'; // eogToken, stop triggers
    return { text: res.response, promptTokens, completionTokens, finishReason };
  }

  async close(): Promise<void> {
    this.closed = true;
    const loading = this.loading;
    this.loading = undefined;
    if (!loading) return;
    await this.queue;
    let loaded: Loaded;
    try {
      loaded = await loading;
    } catch {
      return;
    }
    loaded.completion.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }
}
