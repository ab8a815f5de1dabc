import type {Detector} from '../detector.js'
import {detectUrlCredentials} from '../generic.js'
import type {Hit, LineIndex} from '../util.js'

const run: (text: string, lines: LineIndex, path: string) => Hit[] = detectUrlCredentials

/** `scheme://user:password@host`; the rules live in ../generic.ts. */
export const uriDetector: Detector = {
  id: 'uri', version: 11, needles: ['://'],
  detect: (text, ctx) => run(text, ctx.lines, ctx.path),
}
