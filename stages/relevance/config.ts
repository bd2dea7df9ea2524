import { z } from 'zod';

export const DEFAULT_JUDGE_PROMPT = 'config/prompts/relevance-judge.v1.txt';
export const DEFAULT_JUDGE_CHAT_PROMPT = 'config/prompts/relevance-judge-chat.v1.txt';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/**
 * The `relevance:` slice of the run config: judge samples of each query's hits with the bootstrap's LLM
 * provider (same cache, same budget keys), prune low-yield queries, train a per-domain classifier and
 * filter (and optionally extend) the candidates with it. Off by default.
 */
export const relevanceConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    judge: z
      .object({
        /** Hits judged per query (a deterministic sample); 0 = no LLM judging. */
        per_query: z.number().int().min(0).default(2),
        /** Judgements at most, over the whole run (the LLM is slow: the classifier does the heavy lifting). */
        max_judgements: z.number().int().min(0).default(200),
        /** Words of each document shown to the judge. */
        doc_words: positiveInt.max(400).default(60),
        /** Few-shot yes/no template for a base model (`provider: llama`); a relative path is the config file's (the default the repository's). */
        prompt: z.string().min(1).default(DEFAULT_JUDGE_PROMPT),
        /** JSON chat template for OpenAI-compatible endpoints. */
        chat_prompt: z.string().min(1).default(DEFAULT_JUDGE_CHAT_PROMPT),
        max_tokens: positiveInt.default(4),
        /** Topic text per domain shown to the judge (default: the domain name). */
        topics: z.record(z.string(), z.string().min(1)).default({}),
        /**
         * Random index documents judged per domain as controls (mostly off-domain): a judge that says yes to them as
         * readily as to retrieved hits is flagged and its labels are not used (0 = no check).
         */
        controls_per_domain: z.number().int().min(0).default(4),
      })
      .strict()
      .prefault({}),
    yield: z
      .object({
        /** A query whose yield upper confidence bound is below this is pruned. */
        floor: fraction.default(0.2),
        /** Wilson interval confidence level. */
        confidence: z.number().gt(0).lt(1).default(0.9),
        /** Judgements a query needs before it can be pruned. */
        min_judged: positiveInt.default(2),
      })
      .strict()
      .prefault({}),
    classifier: z
      .object({
        enabled: z.boolean().default(true),
        /**
         * `nb_em`: semi-supervised multinomial Naive Bayes, the domains competing with a background class, EM over
         * the whole index (weak positives clamped); a document belongs to the most probable class.
         * `logistic`: one logistic regression per domain with self-training and a held-back threshold.
         */
        method: z.enum(['nb_em', 'logistic']).default('nb_em'),
        /** nb_em: EM rounds over the index. */
        em_iterations: z.number().int().min(0).max(100).default(20),
        /**
         * nb_em: how class word distributions are smoothed. `corpus` (default): a Dirichlet prior of `em_mu` tokens
         * centred on the index's own distribution, so a word a class has not seen counts as it does in the index
         * (holds for short texts and few positives); `additive`: `em_alpha` per hashed feature (the earlier default).
         */
        em_smoothing: z.enum(['corpus', 'additive']).default('corpus'),
        /** nb_em, `em_smoothing: corpus`: the prior's mass in tokens. */
        em_mu: z.number().positive().default(5000),
        /** nb_em, `em_smoothing: additive`: smoothing per hashed feature (small: a feature space of 2^hash_bits is mostly empty). */
        em_alpha: z.number().positive().default(0.04),
        /** nb_em: weight of an unlabelled document in the M-step (Nigam's EM-λ; under 1 keeps the classes near their seeds). */
        em_unlabeled_weight: z.number().gt(0).max(1).default(1),
        /** Feature space: 2^hash_bits weights per domain. */
        hash_bits: z.number().int().min(10).max(24).default(18),
        /** Word n-grams up to this length (the logistic model did best with 2, Naive Bayes with 1). */
        word_ngrams: z.number().int().min(1).max(3).default(1),
        /** Character n-gram length (0 = none); taken inside words, with word boundaries (logistic: 4). */
        char_ngrams: z.number().int().min(0).max(6).default(0),
        /**
         * Term frequency of a word repeated in a document (Rennie et al. 2003): `raw` counts each occurrence, `binary`
         * counts it once, `log` weights it log2(1 + count). nb_em only for `log` (the logistic trainer reads indices).
         */
        tf: z.enum(['raw', 'binary', 'log']).default('raw'),
        /**
         * Document-length normalisation: each document's tf weights scaled to an L2 norm of √length_norm (a
         * document of that many distinct words is unchanged; shorter count more, longer less). 0 = off; nb_em only.
         */
        length_norm: z.number().min(0).default(0),
        /** Only the first this many characters of a document are featurised. */
        max_chars: positiveInt.default(4000),
        epochs: positiveInt.max(50).default(6),
        learning_rate: z.number().positive().default(0.5),
        l2: z.number().min(0).default(1e-6),
        /** Weak positives: documents found by at least this many kept queries of their domain... */
        positive_min_queries: positiveInt.default(3),
        /** ...each ranking it at or above this (a deep hit of a query is weak evidence; independent of the index size)... */
        positive_max_rank: positiveInt.default(10),
        /** ...or ranked at or above this (1 = best) by one of them (0 = off). */
        positive_rank: z.number().int().min(0).default(1),
        /**
         * `semantic`: each weak positive is judged by sentence embeddings as the precision estimate judges
         * (`estimate.semantic`), and one the judge puts in another domain is left to EM; `off`: positives as found.
         */
        clean_positives: z.enum(['off', 'semantic', 'expand']).default('off'),
        /** Random index documents drawn as negatives, per positive. */
        negatives_per_positive: z.number().min(0).default(3),
        /** Self-training rounds: the index is scored and its most confident documents join the positives. */
        self_training_rounds: z.number().int().min(0).max(5).default(2),
        /** Per self-training round, at most this many new positives per domain, as a multiple of the current ones. */
        self_training_growth: z.number().positive().default(1),
        /** The threshold is the lowest score whose held-back precision reaches this. */
        target_precision: fraction.default(0.9),
        /** Share of the labelled examples held back to choose the threshold. */
        holdout: z.number().gt(0).lt(1).default(0.25),
        seed: z.number().int().min(0).default(1),
      })
      .strict()
      .refine(c => (c.tf !== 'log' && c.length_norm === 0) || c.method === 'nb_em', {
        message:
          'classifier.tf: log and length_norm need method: nb_em (the logistic trainer reads feature indices, not weights)',
        path: ['tf'],
      })
      .prefault({}),
    /** Score the whole index, not only BM25 hits, and add documents above the threshold (`found_by: classifier`). */
    recall_round: z.boolean().default(true),
    /**
     * At crawl scale (docs/scale.md, "Relevance at crawl scale"): the model step reads the candidates and a hash
     * sample of about this many documents of the whole index, each sampled document standing for its share of the
     * rest (EM, the guards), instead of every index document on one rank; the recall round then scores every other
     * ingest shard on every rank (step `relevance_recall`). null: the model reads the whole index.
     */
    sample_docs: z.number().int().positive().nullable().default(null),
    /**
     * Sentence embeddings judge the documents nearest the classifiers' decision (stages/relevance/semantic-boundary.ts,
     * docs/relevance.md section 4), with the estimate's judge settings (`estimate.semantic`).
     */
    semantic_boundary: z
      .object({
        enabled: z.boolean().default(true),
        /** Per domain, this × its accepted documents of lowest margin, and as many rejected of highest margin. */
        band: z.number().min(0).max(4).default(0.25),
        /** ...at most this many of each per domain (the embedding cost is bounded whatever the index size). */
        max_per_domain: z.number().int().min(0).default(500),
        /** The bar: this quantile of the domain's weak positives' standardised semantic scores... */
        quantile: fraction.default(0.1),
        /** ...over at most this many of them (chosen by a hash of the id: the same on every run). */
        bar_positives: z.number().int().min(1).default(50),
        /** Also take out accepted documents the judge puts elsewhere under the bar (false: it only takes in). */
        take_out: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /**
     * Checks on what was learned (docs/relevance.md, "Diagnostics"): a domain whose classifier stalls or floods
     * falls back to its retrieved set; a judge that does not discriminate is not used.
     */
    guards: z
      .object({
        /** Stalled: the classifier accepts fewer than this × its positives over the whole index. */
        min_kept_of_positives: z.number().min(0).default(1.1),
        /** Flooded: it accepts more than this share of the index... */
        max_index_share: fraction.default(0.5),
        /** ...or more than this many times the domain's retrieved set. */
        max_growth: z.number().positive().default(8),
        /** The judge is checked once it has this many readable control judgements. */
        judge_min_controls: z.number().int().min(1).default(8),
        /** The judge does not discriminate when it says yes to at least this share of random documents... */
        judge_max_control_yes: fraction.default(0.5),
        /** ...or when its yes-rate on hits exceeds that on random documents by less than this. */
        judge_min_separation: fraction.default(0.25),
      })
      .strict()
      .prefault({}),
    /**
     * Quality without labels: a fresh judged sample of each domain's published documents (estimated precision
     * with a Wilson interval) and of the documents relevance removed (estimated on-domain documents removed).
     */
    estimate: z
      .object({
        enabled: z.boolean().default(true),
        /**
         * Who judges the samples: `semantic` (sentence embeddings of the run's queries, docs/relevance.md section 6;
         * needs two or more domains and the embedding model of `npm run setup`) or `llm` (the run's model with the
         * judge prompt; not used when the loop found it answers one way).
         */
        judge: z.enum(['semantic', 'llm']).default('semantic'),
        published_sample: z.number().int().min(0).default(100),
        removed_sample: z.number().int().min(0).default(40),
        confidence: z.number().gt(0).lt(1).default(0.9),
        semantic: z
          .object({
            /** Random index documents that set each domain's baseline score. */
            controls: z.number().int().min(2).default(200),
            /** Passages of `chunk_words` words embedded per document, from its start. */
            chunks: z.number().int().min(1).max(16).default(4),
            chunk_words: z.number().int().min(8).max(300).default(90),
            /** Nearest queries averaged for a domain's score. */
            neighbours: z.number().int().min(1).default(10),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type RelevanceConfig = z.output<typeof relevanceConfigSchema>;
export type RelevanceConfigInput = z.input<typeof relevanceConfigSchema>;
