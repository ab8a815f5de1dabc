import {B, E, lowVariety, maskedCheck, ruleDetector, type Verdict} from '../tokens.js'

function slackCheck(token: string): Verdict {
  const tail = token.slice(token.lastIndexOf('-') + 1)
  if (lowVariety(tail, 6)) return {severity: 'info', note: 'masked or template value'}
  return maskedCheck(token)
}

export const slackDetector = ruleDetector('slack', 2, [
  {
    // Bot, user, workspace, legacy and refresh tokens: the prefix, then numeric team/user ids, then the secret part.
    id: 'secret.slack-token', title: 'Slack token', severity: 'high', needles: ['xox'],
    re: new RegExp(`${B}xox[abposre]-(?:\\d{1,2}-)?\\d{5,}-[0-9A-Za-z][0-9A-Za-z-]{7,250}${E}`, 'g'),
    check: slackCheck,
  },
  {
    id: 'secret.slack-token', title: 'Slack configuration token', severity: 'high', needles: ['xoxe'],
    re: new RegExp(`${B}xoxe(?:\\.xox[bp])?-\\d-[A-Za-z0-9]{100,}${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.slack-token', title: 'Slack app-level token', severity: 'high', needles: ['xapp-'],
    re: new RegExp(`${B}xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.slack-webhook', title: 'Slack incoming webhook URL', severity: 'medium', needles: ['hooks.slack.com'],
    re: /https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+(?:\/[A-Za-z0-9_]+)?/g,
    check: (t) => (/\/(T|B)?X{4,}|\/X{6,}|\/[Tt]?x{6,}/.test(t) ? {severity: 'info', note: 'masked or template value'} : {}),
  },
])
