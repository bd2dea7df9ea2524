import { z } from 'zod';

export const DEFAULT_PROMPT = 'config/prompts/question-extension.v1.txt';
export const DEFAULT_THOUGHT_PROMPT = 'config/prompts/thought-generation.v1.txt';

const positiveInt = z.number().int().positive();

/** The `bootstrap:` slice of the run config. */
export const bootstrapConfigSchema = z
  .object({
    /** `none` = the seeds alone become queries. */
    provider: z.enum(['llama', 'openai', 'none']).default('llama'),
    /** llama: path of a GGUF file (default: resolveModelPath()); openai: the model name (required). */
    model: z.string().min(1).optional(),
    /** openai: API base URL, e.g. http://127.0.0.1:8080/v1 (default: the SDK's). */
    base_url: z.string().url().optional(),
    /** openai: name of the environment variable holding the API key (the key never sits in the config). */
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .default('OPENAI_API_KEY'),
    /** openai: per-request time-out and retries (429/5xx, honouring Retry-After). */
    timeout_ms: positiveInt.default(60_000),
    max_retries: z.number().int().min(0).max(10).default(2),
    /** llama: CPU threads. Keep 1 on small shared machines. */
    threads: positiveInt.default(1),
    /** llama: context window in tokens (prompt + completion). */
    context_size: positiveInt.default(2048),
    samples_per_seed: z.number().int().min(0).default(2),
    temperature: z.number().min(0).max(2).default(0.9),
    max_tokens: positiveInt.default(160),
    base_seed: z.number().int().min(0).default(1),
    /** Prompt template; relative paths are the repository's. First line: `# version: <name>`. */
    prompt: z.string().min(1).default(DEFAULT_PROMPT),
    /** Completion stops at any of these (default: a blank line, the end of the few-shot list). */
    stop: z.array(z.string().min(1)).max(4).default(['\n\n']),
    /** Drop a generated question that shares no content word with its seed (`bootstrap.parse.off_topic`). */
    require_seed_overlap: z.boolean().default(true),
    /** Emit each seed itself as a query (lineage method `seed`, round 0). */
    include_seeds: z.boolean().default(true),
    /** Bounds on generated questions, in words; outside them a question is dropped and counted. */
    min_query_words: positiveInt.default(3),
    max_query_words: positiveInt.default(40),
    /** Thought generation: rounds after question extension (0 = off). Round r expands round r-1's questions. */
    thought_rounds: z.number().int().min(0).max(5).default(0),
    /** Few-shot thought prompt (`{{question}}`); relative paths are the repository's. */
    thought_prompt: z.string().min(1).default(DEFAULT_THOUGHT_PROMPT),
    /** Completions per parent question, each with its own sampling seed. */
    thought_samples: positiveInt.default(1),
    thought_max_tokens: positiveInt.default(160),
    /** Per seed and round, at most this many parent questions are expanded (the first, in order). */
    thought_parents_per_seed: positiveInt.default(2),
    /**
     * An earlier run's query yields (a version's manifest.json with `relevance.yields`, or the relevance
     * step's model.json): parents are then taken highest judged yield first, so thought generation goes
     * deeper where retrieval paid. Relative paths are the config's.
     */
    thought_parents_by_yield: z.string().min(1).optional(),
    /** Query budget per domain (seed queries included); split evenly over the domain's seeds. */
    max_queries_per_domain: positiveInt.optional(),
    /** Requests in flight at once against the backend (llama runs one at a time regardless). */
    concurrency: positiveInt.max(64).default(1),
    /** Caps on uncached model calls and tokens for one process; reaching one stops the run (it resumes later). */
    max_calls: positiveInt.optional(),
    max_total_tokens: positiveInt.optional(),
    /** Longest wait honoured from a Retry-After header (openai), in ms. */
    max_retry_wait_ms: positiveInt.default(60_000),
    /** Cost estimate: price per 1000 tokens (any currency; 0 for a local model). */
    price_per_1k_prompt_tokens: z.number().min(0).default(0),
    price_per_1k_completion_tokens: z.number().min(0).default(0),
    /** Post-processing over the whole query set, when the bootstrap finishes. */
    postprocess: z
      .object({
        /** Near-duplicate threshold: Jaccard similarity of word shingles at or above it is a duplicate (1 = off). */
        near_duplicate_threshold: z.number().gt(0).max(1).default(0.7),
        /** Words per shingle. */
        shingle_words: positiveInt.max(5).default(2),
        min_chars: positiveInt.default(8),
        max_chars: positiveInt.default(300),
        /** Keep only queries identified as one of these languages (eld codes); empty = any. */
        languages: z.array(z.string().regex(/^[a-z]{2,3}$/)).default(['en']),
        /** Below this many characters the language is not judged (too little text to tell). */
        language_min_chars: z.number().int().min(0).default(25),
        /** A file of blocked words or phrases, one per line (`#` comments); relative paths are the repository's. */
        blocklist: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.min_query_words > c.max_query_words) {
      ctx.addIssue({ code: 'custom', path: ['min_query_words'], message: 'must not exceed max_query_words' });
    }
    if (c.postprocess.min_chars > c.postprocess.max_chars) {
      ctx.addIssue({
        code: 'custom',
        path: ['postprocess', 'min_chars'],
        message: 'must not exceed postprocess.max_chars',
      });
    }
    if (c.provider === 'openai' && !c.model) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: "required when provider is 'openai' (the model name)" });
    }
  });

/** The validated slice, defaults applied. */
export type BootstrapConfig = z.output<typeof bootstrapConfigSchema>;
/** What a config file (or a test) may give: every defaulted key optional. */
export type BootstrapConfigInput = z.input<typeof bootstrapConfigSchema>;

export function parseBootstrapConfig(input: BootstrapConfigInput): BootstrapConfig {
  return bootstrapConfigSchema.parse(input);
}
