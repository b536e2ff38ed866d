// How deeply a JSON body nests, checked while it streams in, before JSON.parse sees it: V8 takes seconds to parse
// a body of a few MiB that is nothing but millions of `[`, and the bodies of Create and Update may be 16 MiB from
// anyone, signed in or not. No request of the API nests anywhere near the limit.
export const MAX_JSON_NESTING = 100;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Feed it the body chunk by chunk; `push` answers false once the text so far nests deeper than `max`. */
export class JsonNestingGuard {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly max = MAX_JSON_NESTING) {}

  push(chunk: Uint8Array): boolean {
    // Strings (a picture's base64 is most of a large body) are skipped with indexOf, not byte by byte. Positions
    // of the next quote and backslash are kept until passed, so a string of backslashes stays linear. -2: not
    // looked for yet; -1: none in this chunk. (UTF-8 never repeats these ASCII bytes inside a character.)
    let nextQuote = -2;
    let nextBackslash = -2;
    let i = 0;
    while (i < chunk.length) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf(QUOTE, i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
        if (nextBackslash !== -1 && (nextQuote === -1 || nextBackslash < nextQuote)) {
          this.escaped = true;
          i = nextBackslash + 1;
        } else if (nextQuote === -1) {
          return true; // the string goes on in the next chunk
        } else {
          this.inString = false;
          i = nextQuote + 1;
        }
        continue;
      }
      const c = chunk[i++]!;
      if (c === QUOTE) this.inString = true;
      else if (c === 0x5b || c === 0x7b) {
        if (++this.depth > this.max) return false;
      } else if (c === 0x5d || c === 0x7d) this.depth--;
    }
    return true;
  }
}
