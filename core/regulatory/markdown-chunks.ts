/**
 * Splits regulatory markdown into retrievable chunks. Two kinds of document come in: the
 * project's own corpus (headings carry their clause in parentheses) and 3GPP specifications
 * converted to markdown (headings are "5.3.2Maximum transmission…", the number glued to the
 * title). Rules that keep a chunk answerable on its own:
 * - every chunk starts with where it comes from (document, clause, heading; table title);
 * - a table row never travels without its table's title and header row;
 * - band note markers glued to band names (`n7917` = n79 + note 17) are separated again.
 */

export interface CorpusChunk {
  /** What is embedded and returned: a context line, then the body. */
  text: string;
  /** Human citation, e.g. "TS 38.101-1 §5.3.2, Table 5.3.2-1: Maximum transmission bandwidth configuration NRB". */
  source: string;
  /** Display path of the document, e.g. "regulatory-corpus/nr-bands.md". */
  file: string;
  /** Clause number the chunk sits under ("5.3.2"), or null before the first numbered heading. */
  clause: string | null;
  /** Titles of the enclosing headings, outermost first. */
  headings: string[];
  /** The table's title when the chunk is table rows. */
  table: string | null;
}

export interface DocumentLabel {
  /** Display path. */
  file: string;
  /** Short document name for citations: "TS 38.214" or "regulatory-corpus/cqi-mcs-tables.md". */
  name: string;
  kind: 'project' | 'spec';
}

/** The chunker's version: part of the index cache key, so a change here re-chunks everything. */
export const CHUNKER_VERSION = 4;
const DEFAULT_MAX_CHARS = 900;

/** "38.101-1_RF_Requirements_FR1_j50.md" → "TS 38.101-1". */
export function specNameOf(fileName: string): string | null {
  const m = /^(\d{2}\.\d{3}(?:-\d+)?)_/.exec(fileName);
  return m ? `TS ${m[1]}` : null;
}

/**
 * Splits a 3GPP heading into clause number and title. A letter right after a number belongs to
 * the clause ("5.2A", "5.2E.1A") when a dot, a digit, or a capitalised word follows it; a letter
 * followed by lower case starts the title ("4.1Relationship").
 */
export function splitSpecHeading(heading: string): { clause: string | null; title: string } {
  const text = heading.trim();
  const annex = /^Annex\s+([A-Z](?:\.\d+)*)\s*(?:\([^)]*\))?\s*:?\s*(.*)$/.exec(text);
  if (annex) return { clause: `Annex ${annex[1]}`, title: annex[2]!.trim() || text };
  let i = 0;
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const isUpper = (c: string | undefined): boolean => c !== undefined && c >= 'A' && c <= 'Z';
  const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
  // Annex clauses without the word "Annex": "A.1General".
  if (isUpper(text[0]) && text[1] === '.' && isDigit(text[2])) i = 1;
  else if (!isDigit(text[0])) return { clause: null, title: text };
  for (;;) {
    while (isDigit(text[i])) i++;
    const c = text[i];
    if (isUpper(c)) {
      const next = text[i + 1];
      const suffix = next === '.' || isDigit(next) || (isUpper(next) && isLower(text[i + 2]));
      if (suffix) i++;
    }
    if (text[i] === '.' && (isDigit(text[i + 1]) || isUpper(text[i + 1]))) {
      i++;
      continue;
    }
    break;
  }
  const clause = text.slice(0, i).replace(/\.$/, '');
  return { clause: clause || null, title: text.slice(i).trim() || text };
}

/** The project's headings name their clause in parentheses: "… (TS 38.101-1 §5.3.2, Table 5.3.2-1)". */
function projectClauseOf(heading: string): string | null {
  const m = /\(([^()]*(?:TS|§|Table|maestro)[^()]*)\)\s*$/.exec(heading);
  return m ? m[1]!.trim() : null;
}

/**
 * Band names with a note number glued on: "n7917" → "n79 (note 17)", "n666,7" → "n66 (notes 6,7)".
 * FR1 band numbers have at most two digits except n100-n119 and n254-n256, so a longer number is
 * split after its band part. Only used in columns whose header says "band".
 */
export function deglueBandNote(cell: string): string {
  const m = /^n(\d+)((?:,\d+)*)$/.exec(cell.trim());
  if (!m) return cell;
  const digits = m[1]!;
  const more = m[2] ?? '';
  const bandDigits = /^(1[01]|25)\d/.test(digits) ? 3 : 2;
  if (digits.length <= bandDigits && more === '') return cell;
  const band = digits.slice(0, Math.min(bandDigits, digits.length));
  const notes = `${digits.slice(band.length)}${more}`.replace(/^,/, '');
  if (notes === '') return `n${band}`;
  return `n${band} (note${notes.includes(',') ? 's' : ''} ${notes})`;
}

export function splitTableRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split('|').map((c) => c.trim());
}

const isSeparatorRow = (line: string): boolean => /^\|?\s*:?-{3,}/.test(line.trim());
const isTableTitle = (line: string): boolean => /^Table(?::|\s+[A-Z0-9][\w.-]*\s*:)/.test(line.trim());

interface Section {
  headings: string[];
  clause: string | null;
  lines: string[];
}

function sectionsOf(markdown: string, kind: DocumentLabel['kind']): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; title: string; clause: string | null }[] = [];
  let current: Section = { headings: [], clause: null, lines: [] };
  let inFence = false;
  for (const line of markdown.split(/\r?\n/)) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.*\S)\s*$/.exec(line);
    if (!heading) {
      current.lines.push(line);
      continue;
    }
    sections.push(current);
    const level = heading[1]!.length;
    const raw = heading[2]!.replace(/\*\*/g, '');
    const parsed =
      kind === 'spec' ? splitSpecHeading(raw) : { clause: projectClauseOf(raw), title: raw.replace(/\s+/g, ' ') };
    while (stack.length > 0 && stack.at(-1)!.level >= level) stack.pop();
    // A project heading without its own clause inherits the nearest enclosing one.
    const clause = parsed.clause ?? stack.findLast((h) => h.clause !== null)?.clause ?? null;
    stack.push({ level, title: parsed.title, clause });
    current = { headings: stack.map((h) => h.title), clause, lines: [] };
  }
  sections.push(current);
  return sections.filter((s) => s.lines.some((l) => l.trim() !== ''));
}

function sourceOf(doc: DocumentLabel, section: Section, table: string | null): string {
  const heading = section.headings.at(-1) ?? '';
  if (doc.kind === 'spec') {
    const where = section.clause ? `§${section.clause}${heading ? ` ${heading}` : ''}` : heading;
    return [`${doc.name} ${where}`.trim(), table].filter(Boolean).join(', ');
  }
  return [`${doc.name} › ${heading}`.trim(), table].filter(Boolean).join(', ');
}

/** Splits text at whitespace into pieces of at most `max` characters. */
function hardSplit(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

export function chunkMarkdown(markdown: string, doc: DocumentLabel, maxChars = DEFAULT_MAX_CHARS): CorpusChunk[] {
  const chunks: CorpusChunk[] = [];
  for (const section of sectionsOf(markdown, doc.kind)) {
    const context = (table: string | null): string =>
      [doc.name, section.clause && doc.kind === 'spec' ? `§${section.clause}` : null, section.headings.join(' › ')]
        .filter(Boolean)
        .join(' ') + (table ? `\n${table}` : '');
    const emit = (body: string, table: string | null): void => {
      const text = `${context(table)}\n${body}`.trim();
      chunks.push({
        text,
        source: sourceOf(doc, section, table),
        file: doc.file,
        clause: section.clause,
        headings: section.headings,
        table,
      });
    };

    // Walk the section: paragraphs of prose, and tables kept with their titles.
    let prose: string[] = [];
    const flushProse = (): void => {
      const paragraphs = prose
        .join('\n')
        .split(/\n\s*\n/)
        .map((p) => p.trim())
        .filter(Boolean);
      prose = [];
      let buffer = '';
      for (const paragraph of paragraphs.flatMap((p) => hardSplit(p, maxChars))) {
        if (buffer && buffer.length + paragraph.length + 2 > maxChars) {
          emit(buffer, null);
          buffer = '';
        }
        buffer = buffer ? `${buffer}\n\n${paragraph}` : paragraph;
      }
      if (buffer) emit(buffer, null);
    };

    const lines = section.lines;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!line.trim().startsWith('|')) {
        prose.push(line);
        continue;
      }
      // A table: its title is the last non-empty prose line when it reads "Table …".
      let title: string | null = null;
      for (let j = prose.length - 1; j >= 0; j--) {
        const candidate = prose[j]!.trim();
        if (candidate === '') continue;
        if (isTableTitle(candidate)) {
          title = candidate.replace(/^Table:\s*/, '');
          prose.splice(j, 1);
        }
        break;
      }
      flushProse();
      // Cells are re-joined without their alignment padding (a formatter pads markdown tables to
      // equal widths, which would cost embedding tokens and chunk room).
      const tableLines: string[] = [];
      while (i < lines.length && lines[i]!.trim().startsWith('|')) {
        const raw = lines[i++]!.trim();
        const cells = splitTableRow(raw);
        tableLines.push(isSeparatorRow(raw) ? `| ${cells.map(() => '---').join(' | ')} |` : `| ${cells.join(' | ')} |`);
      }
      i--;
      const header = tableLines[0]!;
      const hasSeparator = tableLines.length > 1 && isSeparatorRow(tableLines[1]!);
      const headerBlock = hasSeparator ? `${header}\n${tableLines[1]}` : header;
      const bandColumn = /band/i.test(splitTableRow(header)[0] ?? '');
      const rows = tableLines.slice(hasSeparator ? 2 : 1).map((row) => {
        if (!bandColumn) return row;
        const cells = splitTableRow(row);
        cells[0] = deglueBandNote(cells[0] ?? '');
        return `| ${cells.join(' | ')} |`;
      });
      const budget = Math.max(200, maxChars - headerBlock.length - (title?.length ?? 0));
      let group: string[] = [];
      let size = 0;
      const flushRows = (): void => {
        if (group.length > 0) emit(`${headerBlock}\n${group.join('\n')}`, title);
        group = [];
        size = 0;
      };
      if (rows.length === 0) emit(headerBlock, title);
      // A row longer than the budget goes alone, whole: cutting it would separate values from keys.
      for (const row of rows) {
        if (group.length > 0 && size + row.length + 1 > budget) flushRows();
        group.push(row);
        size += row.length + 1;
      }
      flushRows();
    }
    flushProse();
  }
  return chunks;
}

/** A pipe table parsed from a chunk's text: header cells and data rows (separator skipped). */
export interface ParsedTable {
  title: string | null;
  header: string[];
  rows: string[][];
}

export function parseTableChunk(chunk: { text: string; table: string | null }): ParsedTable | null {
  const lines = chunk.text.split('\n').filter((l) => l.trim().startsWith('|'));
  if (lines.length < 2) return null;
  const header = splitTableRow(lines[0]!);
  const rows = lines
    .slice(1)
    .filter((l) => !isSeparatorRow(l))
    .map(splitTableRow);
  return { title: chunk.table, header, rows };
}
