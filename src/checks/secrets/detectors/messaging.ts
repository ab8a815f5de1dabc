import {B, E, lowVariety, maskedCheck, nameNeedles, NAMED, namedValue, ruleDetector, type Verdict} from '../tokens.js'

/** How base64 of a number starting 1-9 begins: the first two characters of every Discord bot token. */
const SNOWFLAKE_B64 = ['MT', 'Mj', 'Mz', 'ND', 'NT', 'Nj', 'Nz', 'OD', 'OT']

/** Four base64 characters that decode to three ASCII digits. */
const DIGITS_B64 = '(?:[MNO][DTjz][AEIMQUYcgk][w-z0-5])'

/** A Discord bot token's first part is base64 of the bot's numeric user id (a snowflake). */
function discordCheck(token: string): Verdict {
  const id = Buffer.from(token.slice(0, token.indexOf('.')), 'base64').toString('latin1')
  return /^\d{17,20}$/.test(id) ? {} : {keep: false}
}

/** Mail, SMS and chat delivery APIs: a key sends as the company, to its customers. */
export const messagingDetector = ruleDetector('messaging', 6, [
  {
    id: 'secret.sendgrid-key', title: 'SendGrid API key', severity: 'high', needles: ['SG.'],
    re: new RegExp(`${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.twilio-key', title: 'Twilio API key SID', severity: 'medium', needles: ['SK'], unfiltered: true,
    re: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g, around: {back: 1, fwd: 35},
  },
  {
    id: 'secret.twilio-key', title: 'Twilio auth token', severity: 'high', needles: nameNeedles('twilio'),
    re: namedValue('twilio[_.-]?(?:auth[_.-]?)?(?:token|secret)', '[0-9a-f]{32}'), around: NAMED,
  },
  {
    id: 'secret.mailgun-key', title: 'Mailgun API key', severity: 'high', needles: ['key-'],
    re: new RegExp(`${B}key-[0-9a-f]{32}${E}`, 'g'), around: {back: 1, fwd: 38},
  },
  {
    // The newer private keys have no prefix of their own: the provider's name must be near.
    id: 'secret.mailgun-key', title: 'Mailgun API key', severity: 'high', needles: nameNeedles('mailgun'),
    re: new RegExp(`${B}[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}${E}`, 'g'),
    check: (_t, text, i) => (/mailgun/i.test(text.slice(Math.max(0, i - 200), i)) ? {} : {keep: false}),
  },
  {
    id: 'secret.mailchimp-key', title: 'Mailchimp API key', severity: 'high', needles: ['-us'],
    re: /(?<![A-Za-z0-9_-])[0-9a-f]{32}-us\d{1,2}(?![A-Za-z0-9_-])/g, around: {back: 33, fwd: 6},
    check: (t) => (lowVariety(t.slice(0, 32), 8) ? {keep: false} : {}),
  },
  {
    id: 'secret.telegram-bot-token', title: 'Telegram bot token', severity: 'high', needles: [':AA'],
    re: /(?<![A-Za-z0-9_:-])\d{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'secret.discord-webhook', title: 'Discord webhook URL', severity: 'medium', needles: ['/api/webhooks/'],
    re: /https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d{17,20}\/[A-Za-z0-9_-]{60,68}/g,
  },
  {
    id: 'secret.discord-bot-token', title: 'Discord bot token', severity: 'high', needles: SNOWFLAKE_B64, unfiltered: true,
    // Base64 of six digits, twice over: what every snowflake's first eight characters are. Spelled out, the regex
    // engine rejects most positions at their first characters; it runs on every text (its prefixes are two letters).
    re: new RegExp(`(?<![A-Za-z0-9_.=-])${DIGITS_B64}{2}[A-Za-z0-9_-]{16,18}\\.[A-Za-z0-9_-]{6}\\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_.-])`, 'g'),
    check: discordCheck,
  },
  {
    id: 'secret.brevo-key', title: 'Brevo (Sendinblue) API key', severity: 'high', needles: ['xkeysib-', 'xsmtpsib-'],
    re: /(?<![A-Za-z0-9_-])x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}(?![A-Za-z0-9_-])/g, check: maskedCheck,
  },
  {
    id: 'secret.teams-webhook', title: 'Microsoft Teams incoming webhook URL', severity: 'medium', needles: ['.webhook.office.com/'],
    re: new RegExp(String.raw`https://[a-z0-9-]{1,60}\.webhook\.office\.com/webhookb2/[0-9a-f-]{36}@[0-9a-f-]{36}` +
      String.raw`/IncomingWebhook/[a-f0-9]{32}/[0-9a-f-]{36}(?:/[A-Za-z0-9_-]{20,80})?`, 'g'),
    check: maskedCheck,
  },
  {
    // App-only bearer tokens open with 21 `A`s (a zero-padded app id).
    id: 'secret.twitter-bearer', title: 'X (Twitter) app bearer token', severity: 'high', needles: ['AAAAAAAAAAAAAAAAAAAAA'],
    re: /(?<![A-Za-z0-9%])A{21}[A-Za-z0-9%]{60,120}(?![A-Za-z0-9%])/g,
    check: (t) => (lowVariety(t.replace(/^A+/, ''), 16) ? {keep: false} : maskedCheck(t)),
  },
])
