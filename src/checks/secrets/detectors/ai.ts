import {B, E, maskedCheck, ruleDetector, type Verdict} from '../tokens.js'

/** Anthropic's api03 and admin01 keys are 108/109 characters and end in "AA" (their base64 encoding's padding). */
function anthropicCheck(token: string): Verdict {
  if (/^sk-ant-(?:api03|admin01)-/.test(token) && !token.endsWith('AA')) return {keep: false}
  return maskedCheck(token)
}

export const aiDetector = ruleDetector('ai', 2, [
  {
    // Legacy, project, service-account and admin keys all carry "T3BlbkFJ" (base64 of "OpenAI") in the middle.
    id: 'secret.openai-key', title: 'OpenAI API key', severity: 'high', needles: ['T3BlbkFJ'],
    re: new RegExp(`${B}sk-(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}${E}`, 'g'),
  },
  {
    id: 'secret.anthropic-key', title: 'Anthropic API key', severity: 'high', needles: ['sk-ant-'],
    re: new RegExp(`${B}sk-ant-(?:api|admin|oat)\\d\\d-[A-Za-z0-9_-]{80,}${E}`, 'g'), check: anthropicCheck,
  },
  {
    id: 'secret.huggingface-token', title: 'Hugging Face token', severity: 'high', needles: ['hf_', 'api_org_'],
    re: new RegExp(`${B}(?:hf_[A-Za-z]{34}|api_org_[A-Za-z]{34})${E}`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.perplexity-key', title: 'Perplexity API key', severity: 'high', needles: ['pplx-'],
    re: new RegExp(`${B}pplx-[A-Za-z0-9]{48}${E}`, 'g'), check: maskedCheck,
  },
])
