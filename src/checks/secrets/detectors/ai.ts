import {B, E, maskedCheck, ruleDetector, varied, type Verdict} from '../tokens.js'
import {randomAfter} from '../token-checks.js'

/** Anthropic's api03 and admin01 keys are 108/109 characters and end in "AA" (their base64 encoding's padding). */
function anthropicCheck(token: string): Verdict {
  if (/^sk-ant-(?:api03|admin01)-/.test(token) && !token.endsWith('AA')) return {keep: false}
  return maskedCheck(token)
}

export const aiDetector = ruleDetector('ai', 4, [
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
  {
    id: 'secret.groq-key', title: 'Groq API key', severity: 'high', needles: ['gsk_'],
    re: new RegExp(`${B}gsk_[A-Za-z0-9]{52}${E}`, 'g'), check: randomAfter(4, 12),
  },
  {
    id: 'secret.xai-key', title: 'xAI API key', severity: 'high', needles: ['xai-'],
    re: new RegExp(`${B}xai-[A-Za-z0-9]{80}${E}`, 'g'), check: randomAfter(4, 12),
  },
  {
    id: 'secret.replicate-token', title: 'Replicate API token', severity: 'high', needles: ['r8_'],
    re: new RegExp(`${B}r8_[A-Za-z0-9]{37}${E}`, 'g'), check: randomAfter(3, 12),
  },
  {
    id: 'secret.langsmith-key', title: 'LangSmith API key', severity: 'high', needles: ['lsv2_'],
    re: new RegExp(`${B}lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}${E}`, 'g'), check: randomAfter(8, 10),
  },
  {
    id: 'secret.pinecone-key', title: 'Pinecone API key', severity: 'high', needles: ['pcsk_'],
    re: new RegExp(`${B}pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{50,80}${E}`, 'g'), check: randomAfter(5, 12),
  },
  {
    id: 'secret.openrouter-key', title: 'OpenRouter API key', severity: 'high', needles: ['sk-or-v1-'],
    re: new RegExp(`${B}sk-or-v1-[a-f0-9]{64}${E}`, 'g'), check: randomAfter(9, 10),
  },
  {
    // Development and production keys name their kind; older keys have no kind.
    id: 'secret.tavily-key', title: 'Tavily API key', severity: 'high', needles: ['tvly-'],
    re: new RegExp(`${B}tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}${E}`, 'g'), check: varied(12),
  },
  {
    id: 'secret.nvidia-key', title: 'NVIDIA API key', severity: 'high', needles: ['nvapi-'],
    re: new RegExp(`${B}nvapi-[A-Za-z0-9_-]{64}${E}`, 'g'), check: randomAfter(6, 12),
  },
])
