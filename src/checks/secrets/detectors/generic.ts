import type {Detector} from '../detector.js'
import {detectGeneric, SECRET_NAME} from '../generic.js'
import type {Hit, LineIndex} from '../util.js'

// The rule's owner is moving it to (text, lines, path); the wider type accepts either.
const run: (text: string, lines: LineIndex, path: string) => Hit[] = detectGeneric

/** `key = value` where the name says secret and the value looks like one; the rules live in ../generic.ts. */
export const genericDetector: Detector = {
  id: 'generic', version: 1, needles: [],
  gate: (text) => SECRET_NAME.test(text),
  detect: (text, ctx) => run(text, ctx.lines, ctx.path),
}
