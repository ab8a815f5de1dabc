import {B, E, ruleDetector} from '../tokens.js'

/** Mail, SMS and chat delivery APIs: a key sends as the company, to its customers. */
export const messagingDetector = ruleDetector('messaging', 1, [
  {
    id: 'secret.sendgrid-key', title: 'SendGrid API key', severity: 'high', needles: ['SG.'],
    re: new RegExp(`${B}SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${E}`, 'g'),
  },
  {
    id: 'secret.twilio-key', title: 'Twilio API key SID', severity: 'medium', needles: ['SK'],
    re: /(?<![A-Za-z0-9])SK[0-9a-f]{32}(?![A-Za-z0-9])/g,
  },
])
