import {B, E, maskedCheck, ruleDetector} from '../tokens.js'

export const slackDetector = ruleDetector('slack', 1, [
  {
    id: 'secret.slack-token', title: 'Slack token', severity: 'high', needles: ['xox', 'xapp-'],
    re: new RegExp(`${B}(?:xox[abposr]-[0-9A-Za-z-]{10,250}|xoxe(?:\\.xox[bp])?-\\d-[A-Za-z0-9]{100,}|xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+)${E}`, 'g'),
    check: maskedCheck,
  },
  {
    id: 'secret.slack-webhook', title: 'Slack incoming webhook URL', severity: 'medium', needles: ['hooks.slack.com'],
    re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+\/[A-Za-z0-9_]+/g,
    check: (t) => (/\/(T|B)?X{4,}|\/X{6,}/.test(t) ? {severity: 'info', note: 'masked or template value'} : {}),
  },
])
