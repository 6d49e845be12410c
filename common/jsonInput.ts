/**
 * Reading JSON that comes from outside (protocol, baseline, profile files, journal lines)
 * with limits: only regular files are read (a device would hang or never end), the size is
 * bounded, the nesting depth is bounded, and a key given twice in one object is an error
 * naming the key (JSON.parse would silently keep the last value).
 *
 * Why a scanner of our own rather than a package: the check must run before anything
 * recursive touches the text (a file nested 100,000 deep overflows the stack of recursive
 * parsers), and must name the duplicate key with its path. The scanner below is one
 * iterative pass over the tokens that matter (strings, brackets, commas, colons); JSON.parse
 * then does the parsing and the syntax errors, on text already known to be shallow.
 */
import { readFileSync, statSync } from 'node:fs';

export const JSON_LIMITS = { maxBytes: 1024 * 1024, maxDepth: 32 } as const;

/** Bad input in a JSON file: the message names the file, the limit or the key. */
export class JsonInputError extends Error {
  readonly input = true as const;
  constructor(message: string) {
    super(message);
    this.name = 'JsonInputError';
  }
}

type ErrorClass = new (message: string) => Error;

/**
 * Reads a regular file as UTF-8, at most `maxBytes`; anything else throws `errorClass` with a
 * message naming the path and the problem.
 *
 * @example
 * const text = readRegularText('protocol.json', 1 << 20, 'protocol');
 */
export function readRegularText(path: string, maxBytes: number, what: string, errorClass: ErrorClass = JsonInputError): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new errorClass(`cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!st.isFile()) throw new errorClass(`${what} file ${path} is not a regular file (${st.isDirectory() ? 'a directory' : 'a device, pipe or socket'}): not read`);
  if (st.size > maxBytes) throw new errorClass(`${what} file ${path} is ${st.size} bytes: over the size limit of ${maxBytes} bytes`);
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new errorClass(`cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

interface Level {
  object: boolean;
  keys: Set<string>;
  /** The key or index being read at this level (for messages). */
  at: string;
  index: number;
  expectKey: boolean;
}

const pathOf = (stack: readonly Level[]): string => {
  const p = stack.map((l) => l.at).filter(Boolean).join('') || '(root)';
  return p.length > 80 ? `...${p.slice(-77)}` : p;
};

/**
 * Parses JSON text with a depth and size limit and no duplicate keys; throws `JsonInputError`
 * (a message starting with `what`) otherwise.
 *
 * @example
 * parseJsonStrict('{"a":1,"a":2}', 'protocol p.json'); // throws: duplicate key "a" at (root)
 */
export function parseJsonStrict(text: string, what: string, limits: { maxDepth?: number; maxBytes?: number } = {}): unknown {
  const maxDepth = limits.maxDepth ?? JSON_LIMITS.maxDepth;
  const maxBytes = limits.maxBytes ?? JSON_LIMITS.maxBytes;
  if (text.length > maxBytes) throw new JsonInputError(`${what}: ${text.length} characters, over the size limit of ${maxBytes}`);
  const stack: Level[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          break; // a malformed string: JSON.parse below names the position
        }
        top.at = '';
        if (top.keys.has(key)) throw new JsonInputError(`${what}: duplicate key "${key}" in the object at ${pathOf(stack)} (each key may appear once per object)`);
        top.at = `${stack.length > 1 ? '.' : ''}${key}`;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) throw new JsonInputError(`${what}: nested deeper than the limit of ${maxDepth} levels (at ${pathOf(stack)})`);
      stack.push({ object: c === '{', keys: new Set(), at: c === '[' ? '[0]' : '', index: 0, expectKey: c === '{' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
      else if (top) top.at = `[${++top.index}]`;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new JsonInputError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/**
 * Reads and parses a JSON file with `readRegularText` and `parseJsonStrict`.
 *
 * @example
 * const input = readJsonFile('baseline.json', 'baseline');
 */
export function readJsonFile(path: string, what: string): unknown {
  return parseJsonStrict(readRegularText(path, JSON_LIMITS.maxBytes, what), `${what} file ${path}`);
}

export function isJsonInputError(e: unknown): e is JsonInputError {
  return e instanceof JsonInputError;
}
