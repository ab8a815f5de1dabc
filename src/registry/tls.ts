import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {Agent as HttpsAgent} from 'node:https'
import {Agent as HttpAgent} from 'node:http'
import {rootCertificates} from 'node:tls'
import {join} from 'node:path'
import {ImgvetError} from '../errors.js'
import type {RegistryOptions} from './options.js'

/** Where docker and podman look for per-registry certificates when no --cert-dir is given. */
const DEFAULT_CERT_DIRS = ['/etc/docker/certs.d', '/etc/containers/certs.d']
// Node ships Mozilla's roots; the machine's own bundle adds CAs an admin installed (update-ca-certificates).
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt']

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read ${what}: ${(e as Error).message}`, file)
  }
}

/**
 * `--ca-file` read when the flags are parsed, not at the first TLS handshake: a DER file or a key handed by mistake
 * would otherwise surface as "unable to verify the first certificate", far from its cause.
 */
export function checkCaFile(file: string): void {
  if (!/-----BEGIN CERTIFICATE-----/.test(readPem(file, '--ca-file'))) {
    throw new ImgvetError('bad-input', '--ca-file is not a PEM certificate bundle (no -----BEGIN CERTIFICATE----- block)', file)
  }
}

/**
 * TLS material for one host, docker's way: certs.d/<host>/ holds *.crt (CAs), and *.cert + *.key pairs (client
 * certificate for mTLS). Extra CAs add to the system roots rather than replacing them.
 */
function tlsFor(host: string, opts: RegistryOptions): {ca?: string[]; cert?: string; key?: string} {
  const extra: string[] = []
  if (opts.caFile) extra.push(readPem(opts.caFile, '--ca-file'))
  let cert: string | undefined
  let key: string | undefined
  const dirs = opts.certsDir ? [opts.certsDir] : DEFAULT_CERT_DIRS
  for (const base of dirs) {
    // docker escapes nothing here; the host keeps its port ("127.0.0.1:5000").
    const dir = join(base, host)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name)
      if (name.endsWith('.crt')) extra.push(readPem(file, 'CA certificate'))
      else if (name.endsWith('.cert')) {
        const keyFile = join(dir, `${name.slice(0, -'.cert'.length)}.key`)
        if (!existsSync(keyFile)) throw new ImgvetError('bad-input', `client certificate without its key ${keyFile}`, file)
        cert = readPem(file, 'client certificate')
        key = readPem(keyFile, 'client key')
      }
    }
    break
  }
  if (extra.length === 0) return {cert, key}
  const system = SYSTEM_BUNDLES.filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'))
  return {ca: [...rootCertificates, ...system, ...extra], cert, key}
}

export interface Agents {
  http: HttpAgent
  https: HttpsAgent
}

export function agentsFor(host: string, opts: RegistryOptions): Agents {
  if (opts.offline) return offlineAgents(host)
  const tls = tlsFor(host, opts)
  return {
    http: new HttpAgent({keepAlive: true, maxSockets: 8}),
    https: new HttpsAgent({
      keepAlive: true,
      maxSockets: 8,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: !opts.insecureSkipVerify,
    }),
  }
}

/**
 * Agents that refuse to connect: --offline holds below every request (registry, token service, redirect target), not
 * only where a command remembered to check.
 */
function offlineAgents(host: string): Agents {
  const refuse = (_o: unknown, cb: (e: Error) => void) => {
    process.nextTick(() => cb(new ImgvetError('usage', 'no network request is made with --offline', host)))
    return undefined
  }
  const agents = {http: new HttpAgent(), https: new HttpsAgent()}
  Object.assign(agents.http, {createConnection: refuse})
  Object.assign(agents.https, {createConnection: refuse})
  return agents
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h)
}
