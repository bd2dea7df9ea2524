import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/** The tokenizer the report counts with; named in the report. */
export const TOKENIZER = 'gpt-tokenizer o200k_base (the GPT-4o byte-pair encoding)';

/** Special-token strings in a document (e.g. "<|endoftext|>") are text, not control tokens. */
const PLAIN = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

export function tokenCount(text: string): number {
  return countTokens(text, PLAIN);
}
