const hex2 = (n: number) => n.toString(16).padStart(2, '0')
const NAMED: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}

/**
 * Text from an image or a registry, made safe for a terminal: control characters (C0, DEL, C1) become visible
 * escapes, so a name cannot clear the screen, move the cursor or forge a line of its own.
 */
export function escapeControl(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => NAMED[c] ?? `\\x${hex2(c.charCodeAt(0))}`)
}
