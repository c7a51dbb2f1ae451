/**
 * A small strict JSON reader (RFC 8259) that keeps integers exact.
 *
 * Seccomp argument values are 64-bit unsigned integers, and JSON.parse rounds
 * every integer above 2^53 to a double (18446744073709551615 would come back as
 * 18446744073709551616): a filter built from a rounded value compares against a
 * number the user never wrote. Here an integer literal that a double cannot
 * hold exactly becomes a bigint; everything else is what JSON.parse returns.
 * Objects have no prototype, so a "__proto__" key is an ordinary key.
 */

export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Thrown for malformed text; `message` is "what at line L column C". */
export class JsonSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

const MAX_DEPTH = 512;

export function parseJson(text: string): JsonValue {
  let pos = 0;

  const where = (at: number): string => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text[i] === "\n") {
        line++;
        lineStart = i + 1;
      }
    }
    return `line ${line} column ${at - lineStart + 1}`;
  };

  const show = (ch: string): string => {
    const code = ch.charCodeAt(0);
    return code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, "0")}` : ch;
  };

  const fail = (what: string, at: number = pos): never => {
    throw new JsonSyntaxError(`${what} at ${where(at)}`);
  };

  const unexpected = (): never => {
    if (pos >= text.length) return fail("unexpected end of input");
    return fail(`unexpected "${show(text[pos])}"`);
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") pos++;
      else break;
    }
  };

  const expectWord = (word: string): void => {
    if (text.startsWith(word, pos)) pos += word.length;
    else unexpected();
  };

  const readString = (): string => {
    const start = pos;
    pos++; // opening quote
    let out = "";
    for (;;) {
      if (pos >= text.length) return fail("unterminated string", start);
      const c = text[pos];
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === "\\") {
        const e = text[pos + 1];
        switch (e) {
          case '"':
          case "\\":
          case "/":
            out += e;
            pos += 2;
            break;
          case "b":
            out += "\b";
            pos += 2;
            break;
          case "f":
            out += "\f";
            pos += 2;
            break;
          case "n":
            out += "\n";
            pos += 2;
            break;
          case "r":
            out += "\r";
            pos += 2;
            break;
          case "t":
            out += "\t";
            pos += 2;
            break;
          case "u": {
            const hex = text.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fail("bad \\u escape in string");
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 6;
            break;
          }
          default:
            if (e === undefined) return fail("unterminated string", start);
            return fail(`bad escape "\\${show(e)}" in string`);
        }
        continue;
      }
      if (c.charCodeAt(0) < 0x20) return fail(`control character ${show(c)} in string`);
      out += c;
      pos++;
    }
  };

  const readNumber = (): number | bigint => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos, pos + 400));
    if (m === null || m[0] === "-") return unexpected();
    const literal = m[0];
    pos += literal.length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(literal);
      return Number.isSafeInteger(n) ? n : BigInt(literal);
    }
    return Number(literal);
  };

  const readValue = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) return fail("nesting too deep");
    skipSpace();
    const c = text[pos];
    switch (c) {
      case "{": {
        pos++;
        const obj: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
        skipSpace();
        if (text[pos] === "}") {
          pos++;
          return obj;
        }
        for (;;) {
          skipSpace();
          if (text[pos] !== '"') return pos >= text.length ? unexpected() : fail(`expected a property name in quotes, found "${show(text[pos])}"`);
          const key = readString();
          skipSpace();
          if (text[pos] !== ":") return pos >= text.length ? unexpected() : fail(`expected ":" after property name, found "${show(text[pos])}"`);
          pos++;
          obj[key] = readValue(depth + 1);
          skipSpace();
          if (text[pos] === ",") {
            pos++;
            continue;
          }
          if (text[pos] === "}") {
            pos++;
            return obj;
          }
          return pos >= text.length ? unexpected() : fail(`expected "," or "}", found "${show(text[pos])}"`);
        }
      }
      case "[": {
        pos++;
        const arr: JsonValue[] = [];
        skipSpace();
        if (text[pos] === "]") {
          pos++;
          return arr;
        }
        for (;;) {
          arr.push(readValue(depth + 1));
          skipSpace();
          if (text[pos] === ",") {
            pos++;
            continue;
          }
          if (text[pos] === "]") {
            pos++;
            return arr;
          }
          return pos >= text.length ? unexpected() : fail(`expected "," or "]", found "${show(text[pos])}"`);
        }
      }
      case '"':
        return readString();
      case "t":
        expectWord("true");
        return true;
      case "f":
        expectWord("false");
        return false;
      case "n":
        expectWord("null");
        return null;
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return readNumber();
        return unexpected();
    }
  };

  // A UTF-8 byte order mark is not JSON, but editors write one; accept it.
  if (text.charCodeAt(0) === 0xfeff) pos = 1;
  const value = readValue(0);
  skipSpace();
  if (pos < text.length) fail(`unexpected "${show(text[pos])}" after the end of the JSON value`);
  return value;
}
