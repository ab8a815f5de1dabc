import type {Verdict} from '../tokens.js'
import {validBase62Checksum} from '../checksum.js'
import {B, E, ruleDetector} from '../tokens.js'

function npmCheck(token: string): Verdict {
  return validBase62Checksum(token, 4)
    ? {}
    : {severity: 'low', note: 'CRC32 checksum does not match: probably a made-up or mangled token'}
}

/** Package and container registry tokens: what a build step logs in with and then leaves behind. */
export const registriesDetector = ruleDetector('registries', 1, [
  {
    id: 'secret.npm-token', title: 'npm access token', severity: 'high', needles: ['npm_'],
    re: new RegExp(`${B}npm_[A-Za-z0-9]{36}${E}`, 'g'), check: npmCheck,
  },
  {
    id: 'secret.pypi-token', title: 'PyPI API token', severity: 'high', needles: ['pypi-AgE'],
    re: new RegExp(`${B}pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}${E}`, 'g'),
  },
])
