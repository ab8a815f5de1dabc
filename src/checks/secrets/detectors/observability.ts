import {B, E, lowVariety, maskedCheck, nameNeedles, NAMED, namedValue, ruleDetector, type Verdict} from '../tokens.js'

/** A legacy Grafana API key is base64 of `{"k":"…","n":"…","id":…}`. */
function grafanaLegacyCheck(token: string): Verdict {
  try {
    const o: unknown = JSON.parse(Buffer.from(token, 'base64').toString('utf8'))
    return typeof o === 'object' && o !== null && 'k' in o ? {} : {keep: false}
  } catch {
    return {keep: false}
  }
}

/**
 * A PostHog personal key's body is random base62: it has digits and both cases. Phoenix's `phx_` names
 * (`phx_click_away_handler_for_the_dropdown_menu`) are snake case.
 */
function posthogCheck(token: string): Verdict {
  const body = token.slice(4)
  return /\d/.test(body) && /[A-Z]/.test(body) && /[a-z]/.test(body) && !lowVariety(body, 12) ? maskedCheck(token) : {keep: false}
}

export const observabilityDetector = ruleDetector('observability', 3, [
  {
    id: 'secret.datadog-key', title: 'Datadog API or application key', severity: 'high', needles: nameNeedles('datadog', 'dd_api', 'dd_app'),
    re: namedValue('datadog|dd[_-]?(?:api|app(?:lication)?)[_-]?key', '[0-9a-f]{32}|[0-9a-f]{40}'), around: NAMED,
    check: (t) => (lowVariety(t, 8) ? {keep: false} : {}),
  },
  {
    id: 'secret.newrelic-key', title: 'New Relic key', severity: 'high', needles: ['NRAK-', 'NRJS-', 'NRII-', 'NRAA-', 'NRAL'],
    re: new RegExp(`${B}(?:NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9_-]{32}|NRAA-[a-f0-9]{27}|[a-f0-9]{36}NRAL)${E}`, 'g'),
    check: maskedCheck,
  },
  {
    // The public key of a DSN is enough to send events; the host says it is Sentry's (or a self-hosted `sentry.`).
    id: 'secret.sentry-dsn', title: 'Sentry DSN', severity: 'low', needles: ['sentry', 'ingest.'],
    re: /https?:\/\/[0-9a-f]{32}(?::[0-9a-f]{32})?@(?:[a-z0-9-]+\.)*(?:sentry\.io|sentry\.[a-z0-9.-]+|ingest\.[a-z0-9.-]+)(?::\d+)?\/\d+/g,
  },
  {
    id: 'secret.sentry-token', title: 'Sentry auth token', severity: 'high', needles: ['sntrys_', 'sntryu_'],
    re: new RegExp(`${B}(?:sntrys_eyJ[A-Za-z0-9+/=]{60,}_[A-Za-z0-9+/_-]{40,}|sntryu_[a-f0-9]{64})(?![A-Za-z0-9_+/=-])`, 'g'),
  },
  {
    id: 'secret.grafana-token', title: 'Grafana token', severity: 'high', needles: ['glc_eyJ', 'glsa_', 'eyJrIjoi'],
    re: new RegExp(`${B}(?:glc_eyJ[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})(?![A-Za-z0-9_+/=-])`, 'g'),
    check: maskedCheck,
  },
  {
    id: 'secret.grafana-token', title: 'Grafana API key', severity: 'high', needles: ['eyJrIjoi'],
    re: new RegExp(`${B}eyJrIjoi[A-Za-z0-9+/]{60,400}={0,2}(?![A-Za-z0-9_+/=-])`, 'g'), check: grafanaLegacyCheck,
  },
  {
    id: 'secret.sumologic-key', title: 'Sumo Logic access key', severity: 'high', needles: nameNeedles('sumo'),
    re: namedValue('sumo(?:logic)?[_.-]?access[_.-]?(?:id|key)', 'su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}'), around: NAMED,
    check: (t) => (lowVariety(t, 8) || !/\d/.test(t) ? {keep: false} : {}),
  },
  {
    id: 'secret.dynatrace-token', title: 'Dynatrace API token', severity: 'high', needles: ['dt0c01.', 'dt0s01.'],
    re: /(?<![A-Za-z0-9_-])dt0[cs]01\.[A-Z0-9]{24}\.[A-Z0-9]{64}(?![A-Za-z0-9_-])/g,
    check: (t) => (lowVariety(t.slice(7), 16) ? {keep: false} : maskedCheck(t)),
  },
  {
    // Personal keys only: `phc_` project keys are public, written into every page that sends events.
    id: 'secret.posthog-key', title: 'PostHog personal API key', severity: 'high', needles: ['phx_'],
    re: new RegExp(`${B}phx_[A-Za-z0-9_]{43,49}${E}`, 'g'), check: posthogCheck,
  },
])
