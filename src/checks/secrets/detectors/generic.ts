import type {Detector} from '../detector.js'
import {detectGeneric, GENERIC_WORDS, genericGate} from '../generic.js'

/** `key = value` where the name says secret and the value looks like one; the rules live in ../generic.ts. */
export const genericDetector: Detector = {
  id: 'generic', version: 12, needles: [], words: GENERIC_WORDS,
  // Netrc entries (`machine`, `default`) and HTTP credentials (`Authorization`, `*_auth`) are the family's too.
  gate: (text, _path, words) => genericGate(text, words),
  detect: (text, ctx) => detectGeneric(text, ctx.lines, ctx.path, ctx.words),
}
