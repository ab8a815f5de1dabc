import {B, E, ruleDetector} from '../tokens.js'

export const aiDetector = ruleDetector('ai', 1, [
  {
    id: 'secret.openai-key', title: 'OpenAI API key', severity: 'high', needles: ['T3BlbkFJ'],
    re: new RegExp(`${B}sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}${E}`, 'g'),
  },
  {
    id: 'secret.anthropic-key', title: 'Anthropic API key', severity: 'high', needles: ['sk-ant-'],
    re: new RegExp(`${B}sk-ant-(?:api|admin|oat)\\d\\d-[A-Za-z0-9_-]{80,}${E}`, 'g'),
  },
])
