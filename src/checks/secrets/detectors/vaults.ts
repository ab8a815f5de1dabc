import {B, E, lowVariety, maskedCheck, nameNeedles, ruleDetector, type Verdict} from '../tokens.js'
import {bech32Valid} from '../checksum.js'

function vaultLegacyCheck(token: string, text: string, index: number): Verdict {
  const body = token.slice(2)
  if (!/[0-9]/.test(body) || !/[a-z]/.test(body) || !/[A-Z]/.test(body)) return {keep: false}
  // `s.` starts many identifiers; a Vault token is named as one nearby.
  return /token|vault/i.test(text.slice(Math.max(0, index - 80), index)) ? {} : {keep: false}
}

/** Secret managers and encryption keys: one of these opens every secret it guards. */
export const vaultsDetector = ruleDetector('vaults', 3, [
  {
    id: 'secret.vault-token', title: 'HashiCorp Vault token', severity: 'high', needles: ['hvs.', 'hvb.', 'hvr.'],
    re: new RegExp(`${B}(?:hvs\\.[A-Za-z0-9_-]{90,120}|hvb\\.[A-Za-z0-9_-]{138,300}|hvr\\.[A-Za-z0-9_-]{90,120})${E}`, 'g'),
    check: maskedCheck,
  },
  {
    // A root token (`vault operator generate-root`, dev mode) is `hvs.` and 24 base62 characters, with no protobuf.
    id: 'secret.vault-token', title: 'HashiCorp Vault token', severity: 'high', needles: ['hvs.'],
    re: /(?<![A-Za-z0-9_-])hvs\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])/g,
    check: (t) => (/\d/.test(t.slice(4)) && /[a-z]/.test(t.slice(4)) && /[A-Z]/.test(t.slice(4)) ? maskedCheck(t) : {keep: false}),
  },
  {
    // `s.` starts too many identifiers to look for alone; the check wants a Vault or token name before it anyway.
    id: 'secret.vault-token', title: 'HashiCorp Vault token (legacy)', severity: 'high', needles: nameNeedles('vault', 'token'),
    re: /(?<![A-Za-z0-9_.-])s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])/g, check: vaultLegacyCheck,
    // Only where the check can pass: a token or vault word ends at most 80 characters before the match.
    near: {words: ['token', 'vault'], within: 80, span: 26},
  },
  {
    id: 'secret.age-secret-key', title: 'age secret key', severity: 'high', needles: ['AGE-SECRET-KEY-1'],
    re: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Z0-9])/g,
    check: (t) => (bech32Valid(t) ? {} : {severity: 'low', note: 'bech32 checksum does not match: probably made up or mangled'}),
  },
  {
    id: 'secret.onepassword-token', title: '1Password service account token', severity: 'critical', needles: ['ops_eyJ'],
    re: /(?<![A-Za-z0-9_])ops_eyJ[A-Za-z0-9+/]{250,}={0,3}(?![A-Za-z0-9+/=])/g, check: maskedCheck,
  },
  {
    id: 'secret.onepassword-token', title: '1Password secret key', severity: 'critical', needles: ['A3-'],
    re: /(?<![A-Za-z0-9-])A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}(?![A-Za-z0-9-])/g,
    check: (t) => (lowVariety(t.replace(/-/g, '').slice(2), 8) ? {keep: false} : {}),
  },
  {
    id: 'secret.doppler-token', title: 'Doppler token', severity: 'high', needles: ['dp.pt.', 'dp.st.', 'dp.ct.', 'dp.sa.', 'dp.scim.', 'dp.audit.'],
    re: new RegExp(`${B}dp\\.(?:pt|st|ct|sa|scim|audit)\\.(?:[a-z0-9_-]{2,35}\\.)?[A-Za-z0-9]{40,44}${E}`, 'g'), check: maskedCheck,
  },
])
