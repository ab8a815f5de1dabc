import type {Verdict} from '../tokens.js'
import {validBase62Checksum} from '../checksum.js'
import {B, E, maskedCheck, ruleDetector} from '../tokens.js'

function githubCheck(token: string): Verdict {
  const masked = maskedCheck(token)
  if (masked.severity) return masked
  if (/^gh[pousr]_[A-Za-z0-9]{36}$/.test(token)) {
    return validBase62Checksum(token, 4)
      ? {}
      : {severity: 'low', note: 'CRC32 checksum does not match: probably a made-up or mangled token'}
  }
  return {}
}

export const githubDetector = ruleDetector('github', 2, [
  {
    id: 'secret.github-token', title: 'GitHub token', severity: 'high',
    needles: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_', 'github_pat_'],
    re: new RegExp(`${B}(?:gh[pousr]_[A-Za-z0-9_.-]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})${E}`, 'g'),
    check: githubCheck,
  },
])
