import type {Detector} from '../detector.js'
import {detectGeneric, SECRET_NAME} from '../generic.js'
import type {Hit, LineIndex} from '../util.js'

const run: (text: string, lines: LineIndex, path: string) => Hit[] = detectGeneric

/** `key = value` where the name says secret and the value looks like one; the rules live in ../generic.ts. */
export const genericDetector: Detector = {
  id: 'generic', version: 4, needles: [],
  // Netrc entries (`machine`, `default`) and HTTP credentials (`Authorization`, `*_auth`) are the family's too.
  gate: (text) => SECRET_NAME.test(text) || /auth|creds|key|machine|default/i.test(text),
  detect: (text, ctx) => run(text, ctx.lines, ctx.path),
}
