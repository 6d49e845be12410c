/**
 * A reader for the block-style YAML subset the deploy/ manifests use, for tests only (the
 * project has no YAML package and adds none): documents split by `---`, block mappings and
 * sequences (a sequence may sit at its key's indentation, as Kubernetes manifests write it),
 * `- key: value` items, flow sequences and mappings of scalars, quoted and plain scalars, `#`
 * comments. Anything else (anchors, tags, block scalars, multi-line flow) throws, so a manifest
 * edited beyond the subset fails its test loudly rather than being misread. test/deploy
 * cross-checks the result against PyYAML where python3 has it.
 */

interface Line {
  indent: number;
  text: string;
  no: number;
}

function stripComment(raw: string): string {
  let quote: string | null = null;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || raw[i - 1] === ' ')) return raw.slice(0, i);
  }
  return raw;
}

/** Index of the `: ` (or final `:`) that ends a mapping key, outside quotes and brackets; -1 if none. */
function keyColon(text: string): number {
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0 && (i === text.length - 1 || text[i + 1] === ' ')) return i;
  }
  return -1;
}

function splitFlow(body: string): string[] {
  const parts: string[] = [];
  let quote: string | null = null;
  let depth = 0;
  let cur = '';
  for (const c of body) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function scalar(text: string, no: number): unknown {
  const t = text.trim();
  if (t.startsWith('"')) {
    if (!t.endsWith('"') || t.length < 2) throw new Error(`line ${no}: unterminated string`);
    return JSON.parse(t);
  }
  if (t.startsWith("'")) {
    if (!t.endsWith("'") || t.length < 2) throw new Error(`line ${no}: unterminated string`);
    return t.slice(1, -1).replace(/''/g, "'");
  }
  if (t.startsWith('[')) {
    if (!t.endsWith(']')) throw new Error(`line ${no}: multi-line flow sequences are outside the subset`);
    return splitFlow(t.slice(1, -1)).map((p) => scalar(p, no));
  }
  if (t.startsWith('{')) {
    if (!t.endsWith('}')) throw new Error(`line ${no}: multi-line flow mappings are outside the subset`);
    return Object.fromEntries(
      splitFlow(t.slice(1, -1)).map((p) => {
        const c = keyColon(p);
        if (c < 0) throw new Error(`line ${no}: flow mapping entry without a key: ${p}`);
        return [String(scalar(p.slice(0, c), no)), scalar(p.slice(c + 1), no)];
      }),
    );
  }
  if (/^[&*!|>%@`]/.test(t)) throw new Error(`line ${no}: "${t.slice(0, 20)}" is outside the YAML subset`);
  if (t === '' || t === '~' || t === 'null') return null;
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+$/.test(t)) return Number(t);
  if (/^-?\d+\.\d+$/.test(t)) return Number(t);
  return t;
}

function parseBlock(lines: Line[], i: number, indent: number): [unknown, number] {
  const first = lines[i] as Line;
  return first.text === '-' || first.text.startsWith('- ') ? parseSequence(lines, i, indent) : parseMapping(lines, i, indent);
}

function parseSequence(lines: Line[], i: number, indent: number): [unknown[], number] {
  const out: unknown[] = [];
  while (i < lines.length && (lines[i] as Line).indent === indent && /^-( |$)/.test((lines[i] as Line).text)) {
    const line = lines[i] as Line;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      const next = lines[i + 1];
      if (!next || next.indent <= indent) throw new Error(`line ${line.no}: empty sequence item`);
      const [v, j] = parseBlock(lines, i + 1, next.indent);
      out.push(v);
      i = j;
    } else if (keyColon(rest) > 0 && !/^["'[{]/.test(rest)) {
      // `- key: value`: a mapping whose keys sit where `key` starts.
      const at = indent + (line.text.length - rest.length);
      lines[i] = { indent: at, text: rest, no: line.no };
      const [v, j] = parseMapping(lines, i, at);
      out.push(v);
      i = j;
    } else {
      out.push(scalar(rest, line.no));
      i++;
    }
  }
  return [out, i];
}

function parseMapping(lines: Line[], i: number, indent: number): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = {};
  while (i < lines.length && (lines[i] as Line).indent === indent && !/^-( |$)/.test((lines[i] as Line).text)) {
    const line = lines[i] as Line;
    const c = keyColon(line.text);
    if (c <= 0) throw new Error(`line ${line.no}: expected "key: value", got "${line.text}"`);
    const key = String(scalar(line.text.slice(0, c), line.no));
    if (key in out) throw new Error(`line ${line.no}: key "${key}" given twice`);
    const after = line.text.slice(c + 1).trim();
    i++;
    if (after !== '') {
      out[key] = scalar(after, line.no);
      continue;
    }
    const next = lines[i];
    if (next && (next.indent > indent || (next.indent === indent && /^-( |$)/.test(next.text)))) {
      const [v, j] = parseBlock(lines, i, next.indent);
      out[key] = v;
      i = j;
    } else out[key] = null;
  }
  return [out, i];
}

/** Every document of a YAML file in the subset above. */
export function parseYamlSubset(source: string): unknown[] {
  const docs: Line[][] = [[]];
  source.split('\n').forEach((raw, n) => {
    if (/^---\s*$/.test(raw)) {
      docs.push([]);
      return;
    }
    if (raw.includes('\t')) throw new Error(`line ${n + 1}: tabs are not YAML indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '') return;
    (docs.at(-1) as Line[]).push({ indent: text.length - text.trimStart().length, text: text.trimStart(), no: n + 1 });
  });
  return docs
    .filter((d) => d.length)
    .map((lines) => {
      const [v, end] = parseBlock(lines, 0, (lines[0] as Line).indent);
      if (end !== lines.length) throw new Error(`line ${(lines[end] as Line).no}: unexpected indentation`);
      return v;
    });
}
