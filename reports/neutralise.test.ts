// The neutralisers, case by case, and renderRows (csv, markdown, table) with hostile rows: what a
// spreadsheet, a Markdown renderer (markdown-it: CommonMark + GFM tables) and a terminal get.
import { describe, it, expect } from 'vitest';
import MarkdownIt from 'markdown-it';
import { csvCell, isFormula, markdownCell, terminalText, terminalValues } from './neutralise.js';
import { renderRows } from './format.js';

const ESC = '\x1b';
const BEL = '\x07';
/** Every way a string has been seen to act on a terminal, a table row or a spreadsheet. */
export const HOSTILE = {
  clear: `${ESC}[2J${ESC}[H`,
  colour: `${ESC}[31mred${ESC}[0m`,
  osc52: `${ESC}]52;c;ZWNobyBwd25lZA==${BEL}`,
  osc8: `${ESC}]8;;https://evil.example/${ESC}\\click${ESC}]8;;${ESC}\\`,
  csi8bit: '\u009b31mred',
  osc8bit: '\u009d52;c;ZXZpbA==\u009c',
  bidi: 'admin\u202etxt.exe\u2066x\u2069',
  formula: `-2+3+cmd|' /C calc'!A0`,
  markdown:
    'a | b\rc\r\nd\ne\u2028f\u2029g \\| `code` <img src=x onerror=alert(1)> &lt; [l](javascript:alert(1)) *x* _y_',
};

/** Cells per table row as markdown-it parses the text: a row that broke or gained a cell shows here. */
export function cellsPerRow(markdown: string): number[] {
  const tokens = new MarkdownIt().parse(markdown, {});
  const counts: number[] = [];
  let n = 0;
  for (const t of tokens) {
    if (t.type === 'tr_open') n = 0;
    if (t.type === 'th_open' || t.type === 'td_open') n++;
    if (t.type === 'tr_close') counts.push(n);
  }
  return counts;
}

/** No character a terminal would obey: C0 but LF, DEL, C1, bidi controls. */
export const OBEYED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('csvCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1+1', "'+1+1"],
    ['-1+1', "'-1+1"],
    [`-2+3+cmd|' /C calc'!A0`, `'-2+3+cmd|' /C calc'!A0`],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['＝1+1', "'＝1+1"],
    ['＋1', "'＋1"],
    ['－1', "'－1"],
    ['＠x', "'＠x"],
    ['-', "'-"],
    ['-1.', "'-1."],
    ['-1e', "'-1e"],
    ['1-1', '1-1'],
    ['-5', '-5'],
    ['-0.25', '-0.25'],
    ['12', '12'],
    ['3.5e-7', '3.5e-7'],
    ['-1E+10', '-1E+10'],
    ['alice@example.com', 'alice@example.com'],
    ['', ''],
  ])('%j -> %j', (input, out) => {
    expect(csvCell(input)).toBe(out);
    expect(isFormula(input)).toBe(out !== input);
  });
});

describe('terminalText', () => {
  it.each([
    ['clear screen', HOSTILE.clear, '\\x1b[2J\\x1b[H'],
    ['colours', HOSTILE.colour, '\\x1b[31mred\\x1b[0m'],
    ['OSC 52 clipboard write', HOSTILE.osc52, '\\x1b]52;c;ZWNobyBwd25lZA==\\x07'],
    ['OSC 8 hidden link', HOSTILE.osc8, '\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\'],
    ['8-bit CSI', HOSTILE.csi8bit, '\\x9b31mred'],
    ['8-bit OSC and ST', HOSTILE.osc8bit, '\\x9d52;c;ZXZpbA==\\x9c'],
    ['bidi override and isolates', HOSTILE.bidi, 'admin\\u202etxt.exe\\u2066x\\u2069'],
    ['NUL, backspace, DEL', 'a\x00b\x08c\x7f', 'a\\x00b\\x08c\\x7f'],
    ['line breaks and tabs in a value', 'a\r\nb\tc\rd', 'a\\x0d\\x0ab\\x09c\\x0dd'],
    ['plain text, accents, emoji', 'Zoë → ✅ 東京', 'Zoë → ✅ 東京'],
  ])('%s', (_name, input, out) => {
    expect(terminalText(input)).toBe(out);
    expect(terminalText(input)).not.toMatch(OBEYED);
  });

  it('keeps LF and tab for multi-line layout, folds CRLF, and shows a lone CR', () => {
    expect(terminalText('a,b\r\nc\td\re\x1b[2J\n', { multiline: true })).toBe('a,b\nc\td\\x0de\\x1b[2J\n');
  });

  it('terminalValues reaches strings in objects and arrays and leaves other values alone', () => {
    const d = new Date('2026-10-01T00:00:00Z');
    const bytes = new Uint8Array([27]);
    const out = terminalValues({ a: `${ESC}[2J`, b: [{ c: BEL }], d, n: 5n, bytes, nil: null });
    expect(out).toEqual({ a: '\\x1b[2J', b: [{ c: '\\x07' }], d, n: 5n, bytes, nil: null });
    expect(out.d).toBe(d);
    expect(out.bytes).toBe(bytes);
  });
});

describe('markdownCell', () => {
  it.each(Object.entries(HOSTILE))('%s keeps a two-column table at two cells per row', (_name, text) => {
    const md = `| a | b |\n| --- | --- |\n| ${markdownCell(text)} | x |\n| y | ${markdownCell(text)} |\n`;
    expect(cellsPerRow(md)).toEqual([2, 2, 2]);
    expect(markdownCell(text)).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(markdownCell(text)).not.toMatch(OBEYED);
  });

  it('renders as the text it holds: no HTML, no code, no link, no entity', () => {
    const html = new MarkdownIt({ html: true }).render(`| a |\n| --- |\n| ${markdownCell(HOSTILE.markdown)} |\n`);
    expect(html).not.toMatch(/<img|<code|<a |<em|<br/);
    expect(html).toContain(
      'a | b c d e f g \\| `code` &lt;img src=x onerror=alert(1)&gt; &amp;lt; [l](javascript:alert(1)) *x* _y_',
    );
  });
});

describe('renderRows with hostile rows', () => {
  const columns = ['who', 'n', 'justification'];
  const rows = Object.values(HOSTILE).map((v, i) => ({ who: v, n: -i, justification: `${v} ${HOSTILE.formula}` }));

  it('csv: every formula-looking cell is text, plain numbers stay numbers, the rest is exact', () => {
    const lines = renderRows(
      columns,
      [
        { who: '-1+1', n: -3, justification: '＝HYPERLINK("x")' },
        { who: '@x', n: 2.5, justification: '-7' },
      ],
      'csv',
    );
    expect(lines).toBe(`who,n,justification\n'-1+1,-3,"'＝HYPERLINK(""x"")"\n'@x,2.5,-7\n`);
    expect(renderRows(['=h'], [{ '=h': `-2+3+cmd|' /C calc'!A0` }], 'csv')).toBe(`'=h\n'-2+3+cmd|' /C calc'!A0\n`);
  });

  it('markdown: one row per result row, three cells in each, nothing obeyed by a terminal', () => {
    const md = renderRows(columns, rows, 'markdown');
    expect(cellsPerRow(md)).toEqual(Array(rows.length + 1).fill(3));
    expect(md).not.toMatch(OBEYED);
  });

  it('table: control characters shown, not sent', () => {
    const text = renderRows(columns, rows, 'table');
    expect(text).not.toMatch(OBEYED);
    expect(text).toContain('\\x1b[2J');
    expect(text).toContain('\\x1b]52;c;');
    expect(text).toContain('\\u202e');
  });

  it('json and ndjson stay exact', () => {
    expect(JSON.parse(renderRows(columns, rows, 'json'))[0].who).toBe(HOSTILE.clear);
    expect(JSON.parse(renderRows(columns, rows, 'ndjson').split('\n')[2]).who).toBe(HOSTILE.osc52);
  });
});
