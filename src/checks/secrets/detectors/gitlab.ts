import {B, E, maskedCheck, ruleDetector, type Verdict} from '../tokens.js'

/**
 * Every current GitLab token prefix and the length its body has (GitLab's own token docs): a shorter body is not a
 * token of that kind. Routable tokens (`glpat-<base64>.<version>.<crc>`) are longer and contain dots.
 */
/** Kinds whose body has one fixed length (pipeline trigger, incoming mail and OAuth application secrets). */
const EXACT: Record<string, number> = {'glptt-': 40, 'glimt-': 25, 'gloas-': 64}

const MIN_BODY: Record<string, number> = {
  'glpat-': 20, 'glptt-': 40, 'glrt-': 20, 'gldt-': 20, 'glsoat-': 20, 'glft-': 20, 'glimt-': 25, 'glagent-': 50,
  'glcbt-': 20, 'gloas-': 64, 'glffct-': 20, 'glwt-': 20, 'GR1348941': 20,
}

function gitlabCheck(token: string): Verdict {
  const prefix = Object.keys(MIN_BODY).find((p) => token.startsWith(p)) ?? ''
  const body = token.slice(prefix.length)
  const exact = EXACT[prefix]
  const min = MIN_BODY[prefix] ?? 20
  // A body of the standard length is base64url and may end in `-` or `_`; a longer one ending so is a run into
  // a longer identifier, not a token.
  const overrun = body.length > min && /[-_.]$/.test(body)
  if (exact !== undefined ? body.length !== exact : body.length < min || overrun) return {keep: false}
  if (new Set(body).size < 8) return {keep: false}
  return maskedCheck(token)
}

export const gitlabDetector = ruleDetector('gitlab', 3, [
  {
    id: 'secret.gitlab-token', title: 'GitLab token', severity: 'high', needles: Object.keys(MIN_BODY),
    re: new RegExp(`${B}(?:(?:glpat|glptt|glrt|gldt|glsoat|glft|glimt|glagent|glcbt|gloas|glffct|glwt)-|GR1348941)[A-Za-z0-9_.-]{20,300}${E}`, 'g'),
    check: gitlabCheck,
  },
])
