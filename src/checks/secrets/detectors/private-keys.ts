import type {Detector} from '../detector.js'
import {keySighting} from '../key-pairs.js'
import {detectPrivateKeys, KEY_NEEDLES} from '../private-keys.js'

export const privateKeysDetector: Detector = {
  id: 'private-keys', version: 4, needles: KEY_NEEDLES,
  detect(text, ctx) {
    const keys = ctx.keys()
    if (ctx.sight) {
      for (const k of keys) {
        const s = k.key && !k.encrypted ? keySighting(k.key, ctx.lines.lineOf(k.start)) : undefined
        if (s) ctx.sight(s)
      }
    }
    return detectPrivateKeys(text, ctx.lines, keys)
  },
}
