import { z } from 'zod';

const fraction = z.number().min(0).max(1);
const positiveInt = z.number().int().positive();

/**
 * What a word is: `whitespace` (runs of non-space characters, as the Gopher paper words its rules) or
 * `punctuation` (punctuation split off as words of its own, approximating the spaCy tokens datatrove and
 * FineWeb count; stricter on punctuation-heavy text: see docs/postprocess.md).
 */
const wordsSchema = z.enum(['whitespace', 'punctuation']).default('whitespace');

/** Gopher quality rules (Rae et al. 2021, MassiveText, appendix A1; thresholds as datatrove's GopherQualityFilter). */
export const gopherQualityConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    words: wordsSchema,
    min_doc_words: positiveInt.default(50),
    max_doc_words: positiveInt.default(100_000),
    min_avg_word_length: z.number().nonnegative().default(3),
    max_avg_word_length: z.number().positive().default(10),
    max_symbol_word_ratio: z.number().nonnegative().default(0.1),
    max_bullet_lines_ratio: fraction.default(0.9),
    max_ellipsis_lines_ratio: fraction.default(0.3),
    /** Gopher: at least 80% of words contain an alphabetic character. */
    min_alpha_words_ratio: fraction.default(0.8),
    min_stop_words: z.number().int().nonnegative().default(2),
    stop_words: z.array(z.string()).default(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']),
  })
  .strict();

const ngramThreshold = z.tuple([positiveInt, fraction]);

/** Gopher repetition rules (Rae et al. 2021, table A1; thresholds as datatrove's GopherRepetitionFilter). */
export const gopherRepetitionConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    words: wordsSchema,
    dup_line_frac: fraction.default(0.3),
    dup_para_frac: fraction.default(0.3),
    dup_line_char_frac: fraction.default(0.2),
    dup_para_char_frac: fraction.default(0.2),
    /** [n, max fraction of characters in the most frequent n-gram]. */
    top_n_grams: z.array(ngramThreshold).default([
      [2, 0.2],
      [3, 0.18],
      [4, 0.16],
    ]),
    /** [n, max fraction of characters in duplicated n-grams]. */
    dup_n_grams: z.array(ngramThreshold).default([
      [5, 0.15],
      [6, 0.14],
      [7, 0.13],
      [8, 0.12],
      [9, 0.11],
      [10, 0.1],
    ]),
  })
  .strict();

/** C4 line and page rules (Raffel et al. 2020, section 2.2; as datatrove's C4QualityFilter). */
export const c4ConfigSchema = z
  .object({
    /** Off by default: it rewrites text (drops lines), which suits web pages more than posts or code. */
    enabled: z.boolean().default(false),
    filter_no_terminal_punct: z.boolean().default(true),
    min_words_per_line: z.number().int().nonnegative().default(3),
    max_word_length: z.number().int().default(1000),
    min_num_sentences: z.number().int().default(5),
    remove_citations: z.boolean().default(true),
    filter_lorem_ipsum: z.boolean().default(true),
    filter_javascript: z.boolean().default(true),
    filter_curly_bracket: z.boolean().default(true),
    filter_policy: z.boolean().default(true),
    /** Keep the dropped lines on the document (`quality.c4_removed_lines`) as the audit trail. */
    record_removed_lines: z.boolean().default(true),
  })
  .strict();

export const urlBlocklistConfigSchema = z
  .object({
    /** One entry a line: a domain (blocks it and its subdomains) or a URL prefix; `#` starts a comment. */
    file: z.string().optional(),
  })
  .strict();

export const languageFilterConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    languages: z.array(z.string()).min(1).default(['en']),
    /** FineWeb keeps English with fastText score >= 0.65. */
    min_score: fraction.default(0.65),
  })
  .strict();

export const filterConfigSchema = z
  .object({
    url_blocklist: urlBlocklistConfigSchema.prefault({}),
    language: languageFilterConfigSchema.prefault({}),
    gopher_repetition: gopherRepetitionConfigSchema.prefault({}),
    gopher_quality: gopherQualityConfigSchema.prefault({}),
    c4: c4ConfigSchema.prefault({}),
  })
  .strict();

export type GopherQualityConfig = z.infer<typeof gopherQualityConfigSchema>;
export type GopherRepetitionConfig = z.infer<typeof gopherRepetitionConfigSchema>;
export type C4Config = z.infer<typeof c4ConfigSchema>;
export type UrlBlocklistConfig = z.infer<typeof urlBlocklistConfigSchema>;
export type LanguageFilterConfig = z.infer<typeof languageFilterConfigSchema>;
export type FilterConfig = z.infer<typeof filterConfigSchema>;
