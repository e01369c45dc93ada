/**
 * Text from configs, policies and backends, made safe for the format it is written into. A name
 * can carry anything a YAML string can: control characters (invalid in XML 1.0, so junit.xml would
 * not parse), HTML (live in a Markdown summary), or ANSI escape sequences (that recolour, move the
 * cursor or retitle the terminal). Each format gets the characters it can hold; anything else is
 * shown as a visible escape (`\u` and four hex digits, e.g. `\u001B`), never dropped silently.
 */

const hex = (c: string) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** XML 1.0 (§2.2): tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and paired surrogates; nothing else. */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const XML_BAD = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlSafe(s: string): string {
  return s.replace(XML_BAD, (c) => (c.length === 1 && c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff ? '\uFFFD' : hex(c)));
}

/** ANSI/VT sequences: CSI (colours, cursor), OSC (titles, links, up to BEL or ST), and two-character ESC sequences. */
// eslint-disable-next-line no-control-regex -- escape sequences are what this looks for
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B[@-Z\\-_]|\u009B[0-?]*[ -/]*[@-~]/g;
/** C0 and C1 controls but tab and LF (CR would let a name overwrite the line it is on). */
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const TERMINAL_BAD = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/** For the terminal: escape sequences removed, other controls shown as `\u` and four hex digits. */
export function terminalSafe(s: string): string {
  return s.replace(ANSI, '').replace(TERMINAL_BAD, hex);
}

// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
/**
 * For Markdown: no raw HTML and no control characters (LF kept: tables fold it). CommonMark reads
 * HTML only where `<` opens a tag, comment or declaration (`<a`, `</`, `<!`, `<?`) and an entity
 * only as `&name;`: those become `&lt;` and `&amp;`, so `p95 <= 1.2x` stays readable as written.
 */
export function markdownSafe(s: string): string {
  return s.replace(CONTROL, hex).replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;').replace(/<(?=[A-Za-z/!?])/g, '&lt;');
}

/** Control characters only (for a fenced code block, where HTML is not live). */
export function controlsVisible(s: string): string {
  return s.replace(CONTROL, hex);
}
