/** Brackets, operators and the like: what tells code (and a formula) from a list of words or numbers. */
export const CODE_SYMBOL = /[[\](){}<>=+*/^%&|~#@\\$]/gu;

/** Whether the text holds a code symbol at all. */
export const hasCodeSymbol = (text: string) => text.search(CODE_SYMBOL) >= 0;

/**
 * Program code in a test set (HumanEval's prompts and solutions): a field with an indented line and a code symbol.
 * No GSM8K or ARC field has both; every HumanEval field does.
 */
export function isCodeField(text: string): boolean {
  return /(^|\n)( {2,}|\t)\S/.test(text) && hasCodeSymbol(text);
}

/**
 * Keywords and common builtins of Python and the C family: in code they say as little as stopwords in prose.
 * `for j in range(i + 1, len(l)):` is in any program: counted as content words, the loops of HumanEval's
 * solutions were found in sympy and the standard library's tests (docs/postprocess.md, "Code").
 */
export const CODE_WORDS: ReadonlySet<string> = new Set(
  [
    // Python keywords
    'and as assert async await break class continue def del elif else except false finally for from global if',
    'import in is lambda none nonlocal not or pass raise return true try while with yield',
    // Python builtins and methods met in most programs
    'abs all any bool chr dict enumerate filter float int isinstance len list map max min ord print range',
    'reversed round set sorted str sum tuple type zip append extend pop insert keys values items join split',
    'strip lower upper count index self',
    // C family and JavaScript
    'function var let const new this null undefined void typeof instanceof switch case default do struct char',
    'double long short unsigned static public private',
  ]
    .join(' ')
    .split(' '),
);
