import {renderGitlab} from '../gitlab.js'
import type {ReportFormat} from './types.js'

export const gitlab: ReportFormat = {
  name: 'gitlab',
  summary: 'a gl-secret-detection-report.json for artifacts:reports:secret_detection',
  render: {
    scan: (r, c) => renderGitlab(r, c.gitlab),
    vet: (r, c) => renderGitlab(r, c.gitlab),
  },
}
