import type {Verdict} from '../tokens.js'
import {validBase62Checksum} from '../checksum.js'
import {B, E, lowVariety, maskedCheck, nameNeedles, ruleDetector, UUID} from '../tokens.js'

function npmCheck(token: string): Verdict {
  const masked = maskedCheck(token)
  if (masked.severity) return masked
  return validBase62Checksum(token, 4)
    ? {}
    : {severity: 'low', note: 'CRC32 checksum does not match: probably a made-up or mangled token'}
}

/** `_auth` is base64 of `user:password`: it must decode to exactly that. */
function npmAuthCheck(value: string): Verdict {
  const decoded = Buffer.from(value, 'base64').toString('utf8')
  if (!/^[^:\s]{1,100}:[^\s]{3,200}$/.test(decoded)) return {keep: false}
  return {note: `base64 of user:password for user ${decoded.slice(0, decoded.indexOf(':'))}`}
}

/** Package and container registry tokens: what a build step logs in with and then leaves behind. */
export const registriesDetector = ruleDetector('registries', 5, [
  {
    id: 'secret.npm-token', title: 'npm access token', severity: 'high', needles: ['npm_'],
    re: new RegExp(`${B}npm_[A-Za-z0-9]{36}${E}`, 'g'), check: npmCheck,
  },
  {
    // npm before v7 and most CI docs: `_authToken=<uuid>`, `_auth=<base64 user:pass>`, `NPM_TOKEN=<uuid>`.
    id: 'secret.npm-legacy-auth', title: 'npm registry credentials (legacy token)', severity: 'high',
    needles: ['_authToken', ...nameNeedles('npm_token', 'npm_auth')],
    // npmrc syntax only: `_authToken=` at a line's start or after `//host/path/:`; or the CI variable.
    re: new RegExp(`(?:(?:^|[\\s"'])(?://[A-Za-z0-9.-]+(?::\\d+)?(?:/[^\\s:]*)?/:)?_authToken|NPM_(?:AUTH_)?TOKEN)["']?[ \\t]*[=:][ \\t]*["']?(${UUID})(?![A-Za-z0-9-])`, 'gim'),
  },
  {
    id: 'secret.npm-legacy-auth', title: 'npm registry credentials (_auth)', severity: 'high', needles: ['_auth'],
    re: /(?<![A-Za-z0-9])_auth["']?\s*[=:]\s*["']?([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/g, check: npmAuthCheck,
  },
  {
    id: 'secret.pypi-token', title: 'PyPI API token', severity: 'high', needles: ['pypi-AgE'],
    re: new RegExp(`${B}pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{100,}${E}`, 'g'),
  },
  {
    id: 'secret.docker-hub-token', title: 'Docker Hub personal access token', severity: 'high', needles: ['dckr_pat_', 'dckr_oat_'],
    re: new RegExp(`${B}dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,40}${E}`, 'g'), check: maskedCheck,
  },
  {
    // JFrog API keys (AKCp + 69) and reference tokens (base64 of "reftkn:01:…").
    id: 'secret.artifactory-token', title: 'JFrog Artifactory token', severity: 'high', needles: ['AKCp', 'cmVmdGtu'],
    re: new RegExp(`${B}(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{50})${E}`, 'g'), check: maskedCheck,
  },
  {
    // An ACR admin or token password: 52 characters with "+ACR" at a fixed place.
    id: 'secret.azure-container-registry', title: 'Azure Container Registry password', severity: 'high', needles: ['+ACR'],
    re: /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{42}\+ACR[A-Za-z0-9+/]{6}(?![A-Za-z0-9+/=])/g,
  },
  {
    id: 'secret.azure-container-registry', title: 'Azure Container Registry password', severity: 'high', needles: ['azurecr.io'],
    re: /azurecr\.io\b[^\n]{0,120}?(?:-p|--password)[ =]["']?([A-Za-z0-9+/=]{32,64})(?![A-Za-z0-9+/=])/g,
  },
  {
    // `//registry.example/:_password=<base64>`: npm keeps the password base64-encoded.
    id: 'secret.npm-legacy-auth', title: 'npm registry credentials (legacy token)', severity: 'high',
    needles: ['//registry'], re: new RegExp(`//[^\\s:]+/:_password\\s*=\\s*["']?([A-Za-z0-9+/=]{8,})`, 'g'),
    contains: '/:_password',
    check: (v) => (/^[A-Za-z0-9+/]+={0,2}$/.test(v) && v.length % 4 === 0 ? {} : {keep: false}),
  },
  {
    id: 'secret.rubygems-key', title: 'RubyGems API key', severity: 'high', needles: ['rubygems_'],
    re: new RegExp(`${B}rubygems_[a-f0-9]{48}${E}`, 'g'), check: maskedCheck,
  },
  {
    // NuGet.org API keys: `oy2` and 43 characters of lower-case base32.
    id: 'secret.nuget-key', title: 'NuGet API key', severity: 'high', needles: ['oy2'],
    re: /(?<![A-Za-z0-9_-])oy2[a-z2-7]{43}(?![A-Za-z0-9_-])/g,
    check: (t) => (/\d/.test(t.slice(3)) && !lowVariety(t, 14) ? maskedCheck(t) : {keep: false}),
  },
  {
    id: 'secret.clojars-token', title: 'Clojars deploy token', severity: 'high', needles: ['CLOJARS_'],
    re: /(?<![A-Za-z0-9_-])CLOJARS_[a-z0-9]{60}(?![A-Za-z0-9_-])/g,
    check: (t) => (/\d/.test(t.slice(8)) && !lowVariety(t, 14) ? maskedCheck(t) : {keep: false}),
  },
  {
    // Organization (`packagist_ort_`, `packagist_out_`) and user (`packagist_uut_`) tokens of Private Packagist.
    id: 'secret.packagist-token', title: 'Private Packagist token', severity: 'high', needles: ['packagist_o', 'packagist_u'],
    re: new RegExp(`${B}packagist_[ou][ru]t_[a-fA-F0-9]{68}${E}`, 'g'),
    check: (t) => (lowVariety(t.slice(14), 10) ? {keep: false} : maskedCheck(t)),
  },
])
