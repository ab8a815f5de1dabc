import {fingerprint, type Category, type Finding, type Severity} from '../findings/finding.js'

/**
 * A finding the policy itself raises (about the image or the policy, not about a file in it), so it has no path or
 * layer; `subject` is what makes it distinct, for a fingerprint that allowlists can name.
 */
export function policyFinding(id: string, severity: Severity, category: Category, title: string, evidence: string, subject: string): Finding {
  return {
    id,
    severity,
    category,
    title,
    rule: 'trust-external',
    path: null,
    layer: null,
    removedIn: null,
    evidence,
    fingerprint: fingerprint(id, null, subject),
  }
}
