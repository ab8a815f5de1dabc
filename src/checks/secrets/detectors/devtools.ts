import {B, E, lowVariety, maskedCheck, nameNeedles, NAMED, namedValue, ruleDetector, UUID, varied} from '../tokens.js'
import {randomAfter} from '../token-checks.js'

/** Issue trackers, CI/CD, code hosting and infrastructure-as-code services. */
export const devtoolsDetector = ruleDetector('devtools', 3, [
  {
    id: 'secret.linear-key', title: 'Linear API key', severity: 'high', needles: ['lin_api_'],
    re: new RegExp(`${B}lin_api_[A-Za-z0-9]{40,48}${E}`, 'g'), check: varied(10),
  },
  {
    id: 'secret.notion-token', title: 'Notion integration token', severity: 'high', needles: ['secret_', 'ntn_'],
    re: new RegExp(`${B}(?:secret_[A-Za-z0-9]{43}|ntn_\\d{11}[A-Za-z0-9]{35})${E}`, 'g'),
    check: (t) => (!/[A-Za-z]/.test(t.slice(15)) || lowVariety(t, 12) ? {keep: false} : maskedCheck(t)),
  },
  {
    id: 'secret.atlassian-token', title: 'Atlassian API token', severity: 'high', needles: ['ATATT3'],
    re: new RegExp(`${B}ATATT3[A-Za-z0-9_=-]{186}(?![A-Za-z0-9_=-])`, 'g'), check: maskedCheck,
  },
  {
    id: 'secret.atlassian-token', title: 'Atlassian API token', severity: 'high', needles: nameNeedles('jira', 'confluence', 'atlassian'),
    re: namedValue('(?:jira|confluence|atlassian)[_.-]?(?:api[_.-]?)?token', '[A-Za-z0-9]{24}'), around: NAMED, check: varied(10),
  },
  {
    id: 'secret.bitbucket-token', title: 'Bitbucket access token', severity: 'high', needles: ['ATBB', 'ATCT'],
    re: new RegExp(`${B}(?:ATBB|ATCT)[A-Za-z0-9_=.-]{32,}${E}`, 'g'), check: varied(10),
  },
  {
    // Classic PATs are 52 characters of lower-case base32; a name or the service's URL must be near.
    id: 'secret.azure-devops-pat', title: 'Azure DevOps personal access token', severity: 'high',
    needles: ['dev.azure.com', 'visualstudio.com', ...nameNeedles('azure_devops', 'azdo', 'ado_pat', 'system_accesstoken')],
    re: /(?<![A-Za-z0-9])[a-z2-7]{52}(?![A-Za-z0-9])/g,
    check: (t, text, i) => (/dev\.azure\.com|visualstudio\.com|azure[_-]?devops|azdo|ado[_-]?pat|accesstoken/i
      .test(text.slice(Math.max(0, i - 300), i + 300)) && !lowVariety(t, 12) ? {} : {keep: false}),
  },
  {
    id: 'secret.azure-devops-pat', title: 'Azure DevOps personal access token', severity: 'high', needles: ['AZDO'],
    re: /(?<![A-Za-z0-9])[A-Za-z0-9]{52}AZDO[A-Za-z0-9]{28}(?![A-Za-z0-9])/g,
  },
  {
    id: 'secret.databricks-token', title: 'Databricks token', severity: 'high', needles: ['dapi'],
    re: new RegExp(`${B}dapi[a-fA-F0-9]{32}(?:-\\d)?${E}`, 'g'), check: varied(8),
  },
  {
    id: 'secret.pulumi-token', title: 'Pulumi access token', severity: 'high', needles: ['pul-'],
    re: new RegExp(`${B}pul-[a-f0-9]{40}${E}`, 'g'), check: varied(8),
  },
  {
    id: 'secret.terraform-token', title: 'Terraform Cloud / Enterprise API token', severity: 'high', needles: ['.atlasv1.'],
    re: /(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])/g, check: maskedCheck,
  },
  {
    id: 'secret.sourcegraph-token', title: 'Sourcegraph access token', severity: 'high', needles: ['sgp_', 'sgs_'],
    re: new RegExp(`${B}(?:sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}|sgs_[a-fA-F0-9]{40})${E}`, 'g'), check: varied(12),
  },
  {
    id: 'secret.sourcegraph-token', title: 'Sourcegraph access token', severity: 'high', needles: nameNeedles('sourcegraph'),
    re: namedValue('sourcegraph', '[a-fA-F0-9]{40}'), around: NAMED, check: varied(12),
  },
  {
    id: 'secret.sonar-token', title: 'SonarQube / SonarCloud token', severity: 'high', needles: ['squ_', 'sqp_', 'sqa_', ...nameNeedles('sonar')],
    re: /(?<![A-Za-z0-9_-])(?:sq[upa]_[A-Za-z0-9]{40}|(?<=sonar[_.-]?(?:login|token)["']?\s*(?::{1,3}=|\?=|=|:)\s*["']?)[A-Za-z0-9]{40})(?![A-Za-z0-9_-])/gi,
    check: varied(10),
  },
  {
    id: 'secret.snyk-token', title: 'Snyk API token', severity: 'high', needles: nameNeedles('snyk'),
    re: namedValue('snyk[_.-]?(?:api[_.-]?|oauth[_.-]?)?(?:token|key)', UUID), around: NAMED,
  },
  {
    id: 'secret.octopus-key', title: 'Octopus Deploy API key', severity: 'high', needles: ['API-'],
    re: /(?<![A-Za-z0-9_.-])API-[A-Z0-9]{26}(?![A-Za-z0-9_-])/g,
    check: (t) => (/\d/.test(t.slice(4)) && /[A-Z]/.test(t.slice(4)) && !lowVariety(t, 10) ? {} : {keep: false}),
  },
  {
    id: 'secret.infracost-token', title: 'Infracost API token', severity: 'high', needles: ['ico-'],
    re: /(?<![A-Za-z0-9_.-])ico-[A-Za-z0-9]{32}(?![A-Za-z0-9_.-])/g, check: varied(10),
  },
  {
    id: 'secret.postman-key', title: 'Postman API key', severity: 'high', needles: ['PMAK-'],
    re: /(?<![A-Za-z0-9_-])PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9_-])/g, check: randomAfter(5, 10),
  },
  {
    id: 'secret.supabase-token', title: 'Supabase access token', severity: 'high', needles: ['sbp_'],
    re: new RegExp(`${B}sbp_[a-f0-9]{40}${E}`, 'g'), check: randomAfter(4, 10),
  },
  {
    id: 'secret.planetscale-token', title: 'PlanetScale token or password', severity: 'high', needles: ['pscale_'],
    re: new RegExp(`${B}pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64}${E}`, 'g'), check: randomAfter(10, 12),
  },
  {
    id: 'secret.figma-token', title: 'Figma personal access token', severity: 'high', needles: ['figd_'],
    re: new RegExp(`${B}figd_[A-Za-z0-9_-]{40}${E}`, 'g'), check: randomAfter(5, 12),
  },
  {
    id: 'secret.netlify-token', title: 'Netlify access token', severity: 'high', needles: ['nfp_', 'nfc_', 'nfo_'],
    re: new RegExp(`${B}nf[pco]_[A-Za-z0-9]{36}${E}`, 'g'), check: randomAfter(4, 12),
  },
  {
    id: 'secret.readme-key', title: 'ReadMe API key', severity: 'high', needles: ['rdme_'],
    re: new RegExp(`${B}rdme_[a-z0-9]{70}${E}`, 'g'), check: randomAfter(5, 12),
  },
  {
    id: 'secret.prefect-key', title: 'Prefect API key', severity: 'high', needles: ['pnu_'],
    re: new RegExp(`${B}pnu_[A-Za-z0-9]{36}${E}`, 'g'), check: randomAfter(4, 12),
  },
  {
    id: 'secret.contentful-token', title: 'Contentful personal access token', severity: 'high', needles: ['CFPAT-'],
    re: new RegExp(`${B}CFPAT-[A-Za-z0-9_-]{43}${E}`, 'g'), check: randomAfter(6, 12),
  },
  {
    id: 'secret.tailscale-key', title: 'Tailscale auth key or API token', severity: 'high', needles: ['tskey-'],
    re: new RegExp(`${B}tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{8,20}-[A-Za-z0-9]{24,40}${E}`, 'g'), check: randomAfter(11, 12),
  },
  {
    id: 'secret.typeform-token', title: 'Typeform personal access token', severity: 'high', needles: ['tfp_'],
    re: /(?<![A-Za-z0-9_-])tfp_[A-Za-z0-9_-]{40,48}_[A-Za-z0-9_-]{12,16}(?![A-Za-z0-9_-])/g, check: randomAfter(4, 12),
  },
  {
    // A Mapbox secret token is `sk.` and a JWT-like pair; public `pk.` tokens ship in web pages on purpose.
    id: 'secret.mapbox-token', title: 'Mapbox secret token', severity: 'high', needles: ['sk.eyJ'],
    re: /(?<![A-Za-z0-9_.-])sk\.eyJ[A-Za-z0-9_-]{40,200}\.[A-Za-z0-9_-]{20,40}(?![A-Za-z0-9_-])/g, check: maskedCheck,
  },
  {
    // Personal (CCIPAT) and project (CCIPRJ) tokens: a 22-character id, then 40 hex of secret.
    id: 'secret.circleci-token', title: 'CircleCI API token', severity: 'high', needles: ['CCIPAT_', 'CCIPRJ_'],
    re: new RegExp(`${B}CCIP(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40}${E}`, 'g'), check: randomAfter(7, 12),
  },
  {
    id: 'secret.buildkite-token', title: 'Buildkite API access token', severity: 'high', needles: ['bkua_'],
    re: new RegExp(`${B}bkua_[a-z0-9]{40}${E}`, 'g'), check: randomAfter(5, 10),
  },
])
