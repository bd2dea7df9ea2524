/** One text completion request. Everything but `signal` and `about` is part of the cache key. */
export interface CompletionRequest {
  prompt: string;
  maxTokens: number;
  temperature: number;
  /** Sampling seed: same prompt + seed + temperature gives the same text (llama: byte-identical). */
  seed: number;
  stop?: string[];
  signal?: AbortSignal;
  /** What the request is for, for people (e.g. `seed med-3 sample 1`): named when a replay lacks its answer. */
  about?: string;
}

export interface CompletionResult {
  /** The completion, without the stop string that ended it. */
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** `stop` (end of text or a stop string), `length` (hit maxTokens), or what the backend said. */
  finishReason: string;
  /** Set by CachedProvider when the result came from the cache. */
  cached?: boolean;
}

export interface LlmProvider {
  /** Backend name, e.g. `llama`, `openai`; part of the cache key. */
  readonly name: string;
  /** Model identity (file name for llama, model name for openai); part of the cache key and lineage. */
  readonly model: string;
  complete(req: CompletionRequest): Promise<CompletionResult>;
  close(): Promise<void>;
}
