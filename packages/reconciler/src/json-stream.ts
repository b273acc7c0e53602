import { StringDecoder } from 'node:string_decoder';

/** Options of a {@link JsonStreamParser}. */
export interface JsonStreamParserOptions {
  /** Largest accepted single value in characters (default 16 MiB); a larger one is an error. */
  maxValueLength?: number;
  /** Called with the text of a value that is not valid JSON; the value is skipped. */
  onInvalid?: (text: string, err: unknown) => void;
}

/** Thrown by {@link JsonStreamParser.push} when a value grows beyond `maxValueLength`. */
export class JsonStreamOverflowError extends Error {
  /** Machine-readable error code. */
  readonly code = 'json-stream-overflow';
  /** Creates the error for a value longer than `limit` characters. */
  constructor(limit: number) {
    super(`JSON stream value exceeds ${limit} characters`);
    this.name = 'JsonStreamOverflowError';
  }
}

/**
 * Incremental parser for a stream of concatenated JSON objects or arrays (newline-delimited or
 * not), as the Docker events endpoint sends them. Chunks may split a value, a string, an escape
 * sequence or a multi-byte UTF-8 character anywhere; values are returned once complete.
 * Text between values that is not `{`/`[` (whitespace, stray bytes) is skipped.
 */
export class JsonStreamParser {
  readonly #decoder = new StringDecoder('utf8');
  readonly #maxValueLength: number;
  readonly #onInvalid: (text: string, err: unknown) => void;
  #buffer = '';
  /** Index in `#buffer` where scanning resumes. */
  #pos = 0;
  /** Start of the value being read, or -1 between values. */
  #start = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;

  /** Creates a parser; see {@link JsonStreamParserOptions}. */
  constructor(options: JsonStreamParserOptions = {}) {
    this.#maxValueLength = options.maxValueLength ?? 16 * 1024 * 1024;
    this.#onInvalid = options.onInvalid ?? (() => undefined);
  }

  /** Feeds one chunk; returns the values completed by it, in order. */
  push(chunk: Uint8Array | string): unknown[] {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk as Buffer);
    return this.#scan();
  }

  /** Ends the input; returns any value completed by buffered bytes. An unfinished value is dropped. */
  end(): unknown[] {
    this.#buffer += this.#decoder.end();
    const values = this.#scan();
    this.#reset();
    return values;
  }

  #reset(): void {
    this.#buffer = '';
    this.#pos = 0;
    this.#start = -1;
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
  }

  #scan(): unknown[] {
    const values: unknown[] = [];
    const buf = this.#buffer;
    for (let i = this.#pos; i < buf.length; i++) {
      const ch = buf.charCodeAt(i);
      if (this.#start < 0) {
        if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
          this.#start = i;
          this.#depth = 1;
        }
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (ch === 0x5c /* \ */) this.#escaped = true;
        else if (ch === 0x22 /* " */) this.#inString = false;
        continue;
      }
      if (ch === 0x22) this.#inString = true;
      else if (ch === 0x7b || ch === 0x5b) this.#depth++;
      else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
        this.#depth--;
        if (this.#depth === 0) {
          const text = buf.slice(this.#start, i + 1);
          this.#start = -1;
          try {
            values.push(JSON.parse(text));
          } catch (err) {
            this.#onInvalid(text, err);
          }
        }
      }
    }
    // Keep only the unfinished value (if any) in the buffer.
    if (this.#start < 0) {
      this.#buffer = '';
      this.#pos = 0;
    } else {
      this.#buffer = buf.slice(this.#start);
      this.#pos = this.#buffer.length;
      this.#start = 0;
      if (this.#buffer.length > this.#maxValueLength) {
        const limit = this.#maxValueLength;
        this.#reset();
        throw new JsonStreamOverflowError(limit);
      }
    }
    return values;
  }
}
