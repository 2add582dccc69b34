/**
 * What a person types in the search box, read as people expect: words match the words that start with
 * them (as you type), "quoted words" match that phrase, and -word or -"a phrase" leaves those out.
 */
export type SearchTerm = { words: string[]; phrase: boolean; excluded: boolean };

// Letters and digits of any script; everything else separates words, as PostgreSQL's parser mostly does.
const WORD = /[\p{L}\p{N}]+/gu;
const TERM = /(-?)(?:"([^"]*)"?|(\S+))/g;

export const MAX_TERMS = 12;

export function parseSearch(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const match of query.normalize("NFC").matchAll(TERM)) {
    const [, minus, quoted, bare] = match;
    const words = wordsOf(quoted ?? bare ?? "");
    if (words.length === 0) continue;
    // "a-b" typed bare is one phrase to PostgreSQL too.
    terms.push({ words, phrase: quoted !== undefined || words.length > 1, excluded: minus === "-" });
    if (terms.length === MAX_TERMS) break;
  }
  return terms;
}

export function wordsOf(text: string): string[] {
  return [...text.toLowerCase().matchAll(WORD)].map(([word]) => word);
}

/**
 * The terms as a PostgreSQL tsquery. Every lexeme is quoted and made of letters and digits only, so nothing
 * typed can change the query's shape. Undefined when nothing is left to look for.
 */
export function toTsQuery(terms: readonly SearchTerm[]): string | undefined {
  if (!terms.some((term) => !term.excluded)) return undefined;
  return terms
    .map((term) => {
      const lexemes = term.words.map((word) => `'${word}'`);
      // A lone word is a prefix: the box searches while the word is still being typed.
      const query = term.phrase ? `(${lexemes.join(" <-> ")})` : `${lexemes[0]}:*`;
      return term.excluded ? `!${query}` : query;
    })
    .join(" & ");
}

/** A message's text in pieces, the pieces that the search matched marked: to show them as text, not markup. */
export type Highlight = { text: string; match: boolean }[];

export function highlight(text: string, terms: readonly SearchTerm[]): Highlight {
  const wanted = terms.filter((term) => !term.excluded);
  const prefixes = wanted.filter((term) => !term.phrase).map((term) => term.words[0]!);
  const exact = new Set(wanted.filter((term) => term.phrase).flatMap((term) => term.words));
  const pieces: Highlight = [];
  let at = 0;
  for (const match of text.matchAll(WORD)) {
    const word = match[0].toLowerCase();
    if (!exact.has(word) && !prefixes.some((prefix) => word.startsWith(prefix))) continue;
    if (match.index > at) pieces.push({ text: text.slice(at, match.index), match: false });
    pieces.push({ text: match[0], match: true });
    at = match.index + match[0].length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), match: false });
  return pieces;
}
