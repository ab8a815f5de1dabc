import {B, E, ruleDetector} from '../tokens.js'

export const gitlabDetector = ruleDetector('gitlab', 1, [
  {
    id: 'secret.gitlab-token', title: 'GitLab token', severity: 'high',
    needles: ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glft-', 'GR1348941'],
    re: new RegExp(`${B}(?:(?:glpat|gldt|glrt|glptt|glft)-[A-Za-z0-9_.-]{20,}|GR1348941[A-Za-z0-9_-]{20,})${E}`, 'g'),
  },
])
