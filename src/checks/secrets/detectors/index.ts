import type {Detector} from '../detector.js'
import {aiDetector} from './ai.js'
import {appsDetector} from './apps.js'
import {awsDetector} from './aws.js'
import {azureDetector} from './azure.js'
import {certificatesDetector} from './certificates.js'
import {cliDetector} from './cli.js'
import {cloudflareDetector} from './cloudflare.js'
import {credentialFilesDetector} from './credential-files.js'
import {devtoolsDetector} from './devtools.js'
import {gcpDetector} from './gcp.js'
import {genericDetector} from './generic.js'
import {githubDetector} from './github.js'
import {gitlabDetector} from './gitlab.js'
import {hostingDetector} from './hosting.js'
import {jwtDetector} from './jwt.js'
import {manifestsDetector} from './manifests.js'
import {messagingDetector} from './messaging.js'
import {observabilityDetector} from './observability.js'
import {paymentsDetector} from './payments.js'
import {privateKeysDetector} from './private-keys.js'
import {registriesDetector} from './registries.js'
import {slackDetector} from './slack.js'
import {uriDetector} from './uri.js'
import {vaultsDetector} from './vaults.js'

/**
 * Every text detector, in one explicit list: adding one is its file plus one line here. The walk's needle prefilter
 * and the text check's cache identity are both built from this list.
 */
export const DETECTORS: readonly Detector[] = [
  credentialFilesDetector,
  privateKeysDetector,
  certificatesDetector,
  githubDetector,
  gitlabDetector,
  registriesDetector,
  slackDetector,
  paymentsDetector,
  messagingDetector,
  aiDetector,
  gcpDetector,
  awsDetector,
  azureDetector,
  cloudflareDetector,
  observabilityDetector,
  devtoolsDetector,
  hostingDetector,
  appsDetector,
  vaultsDetector,
  manifestsDetector,
  cliDetector,
  jwtDetector,
  uriDetector,
  genericDetector,
]
