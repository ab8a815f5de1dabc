const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

/**
 * Text from an image or a registry, made safe for a terminal: control characters (C0, DEL, C1) become visible
 * escapes, so a name cannot clear the screen, move the cursor or forge a line of its own. Bidi embeddings,
 * overrides and isolates (U+202A-202E, U+2066-2069) and the Unicode line/paragraph separators are shown as
 * `\u{...}` too: they reorder or break what a reader sees without being control characters.
 */
export function escapeControl(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0)
    if (code > 0xff) return `\\u{${code.toString(16)}}`
    return NAMED[c] ?? `\\x${code.toString(16).padStart(2, '0')}`
  })
}
