// Every data string (a justification, a display name, a UPN) is typed by the people an analyst
// investigates. These make such text inert where people read it: a spreadsheet opening a CSV, a
// Markdown renderer, a terminal. JSON, NDJSON, Arrow and Parquet carry it exactly and never pass here.

/** Spreadsheet apps run a cell starting with one of these as a formula (OWASP CSV injection); the
 * full-width forms are folded to ASCII by some of them. */
const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/;
/** A plain number stays a number: `-5` must not become text, `-1+1` must. */
const PLAIN_NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** True when a spreadsheet would take the cell as a formula. */
export function isFormula(text: string): boolean {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
}

/** A CSV cell a spreadsheet shows as text: a leading `'` on anything it would run as a formula. */
export function csvCell(text: string): string {
  return isFormula(text) ? `'${text}` : text;
}

// C0 controls and DEL, C1 controls (U+0080-009F: CSI U+009B and OSC U+009D act like ESC [ and ESC ]
// on terminals that honour them), and the bidi embeddings, overrides and isolates that reorder what is
// shown against what is stored (Trojan Source).
// Matching control characters is the point of these two: the lint rule against them guards against typos.
// eslint-disable-next-line no-control-regex
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * Text a terminal shows without obeying it: every control character becomes its visible escape
 * (ESC is `\x1b`, CSI `\x9b`, BEL `\x07`, RLO `\u202e`), so no clear-screen, colour, clipboard write
 * (OSC 52), hidden link (OSC 8) or reordering reaches the screen. A data value is one line: its line
 * breaks and tabs are shown too, so it cannot forge the lines around it. `multiline` keeps LF and tab
 * for text whose own layout needs them (a rendered CSV on the screen); CRLF is folded to LF there,
 * and a lone CR, which would move the cursor back over the line, is shown.
 */
export function terminalText(text: string, opts: { multiline?: boolean } = {}): string {
  if (!opts.multiline) return text.replace(CONTROL_ALL, visible);
  return text.replace(/\r\n/g, '\n').replace(CONTROL_BUT_LAYOUT, visible);
}

/** terminalText on every string inside a value (plain objects and arrays rebuilt; Dates, bigints,
 * byte arrays and other values as they are). */
export function terminalValues<T>(value: T): T {
  if (typeof value === 'string') return terminalText(value) as T;
  if (Array.isArray(value)) return value.map(terminalValues) as T;
  if (
    value &&
    typeof value === 'object' &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)
  ) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terminalValues(v)])) as T;
  }
  return value;
}

/**
 * One GFM table cell (or a heading's inline text) that renders as the text it holds: Markdown's
 * punctuation is backslash-escaped (`|` would end the cell; backticks, `<`, `&`, `*`, `_`, `[` would
 * start code, HTML, entities, emphasis or links), every line break (CRLF, CR, LF, U+2028, U+2029)
 * is a space, because any of them ends the table row, and other controls are shown as in terminalText.
 */
export function markdownCell(text: string): string {
  return terminalText(text.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')).replace(/[\\|`<>&*_[\]~#!]/g, '\\$&');
}

export { asText } from '../core/text.js';
