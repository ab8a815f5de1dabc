import {B, E, lowVariety, maskedCheck, NAMED, nameNeedles, ruleDetector, type Verdict} from '../tokens.js'
import {randomAfter} from '../token-checks.js'

/**
 * Random base62 of 28 characters holds a digit all but 0.7% of the time; a camel-case identifier after `aio_`
 * (`aio_ReadTimeoutExceptionHandlers`) has none.
 */
function adafruitCheck(token: string): Verdict {
  return /\d/.test(token) ? randomAfter(4, 12)(token) : {keep: false}
}

/**
 * `pat<14 id characters>.<64 hex>`: both halves are random. Random base62 of 14 mixes at least two of lower case,
 * upper case and digits; a word after `pat` (`pathologicalcases`) has one.
 */
function airtableCheck(token: string): Verdict {
  const [id = '', secret = ''] = token.slice(3).split('.')
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((c) => c.test(id)).length
  return classes < 2 || lowVariety(id, 7) || lowVariety(secret, 10) ? {keep: false} : maskedCheck(token)
}

/** Office, media and device services whose keys act as the account that made them. */
export const appsDetector = ruleDetector('apps', 2, [
  {
    id: 'secret.airtable-token', title: 'Airtable personal access token', severity: 'high',
    // `pat` is three letters, too short for the walk's prefilter, and a regex over every text for it cost a tenth
    // of all content time on a node_modules tree: the provider's name must be near, as gitleaks asks too.
    needles: nameNeedles('airtable'), around: NAMED,
    re: /(?<![A-Za-z0-9_.-])pat[A-Za-z0-9]{14}\.[a-f0-9]{64}(?![A-Za-z0-9_.-])/g, check: airtableCheck,
  },
  {
    id: 'secret.adafruit-io-key', title: 'Adafruit IO key', severity: 'high', needles: ['aio_'],
    re: new RegExp(`${B}aio_[A-Za-z0-9]{28}${E}`, 'g'), check: adafruitCheck,
  },
  {
    id: 'secret.frameio-token', title: 'Frame.io developer token', severity: 'high', needles: ['fio-u-'],
    re: /(?<![A-Za-z0-9_-])fio-u-[A-Za-z0-9_=-]{64}(?![A-Za-z0-9_=-])/g, check: randomAfter(6, 12),
  },
])
