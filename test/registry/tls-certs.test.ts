import test from 'ava'
import {createHash} from 'node:crypto'
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import {join} from 'node:path'
import type {TLSSocket} from 'node:tls'
import {ImgvetError} from '../../src/errors.js'
import {makeServerCerts, type ServerCerts} from '../support/certs.js'
import {run} from '../support/exec.js'
import {registries, tempDir} from '../support/cli.js'

/**
 * mTLS cannot be set up on the Debian registry through test/support, so this file serves a tiny registry endpoint
 * itself: HTTPS with a CA made here, and a client certificate required. It records which client certificate
 * (if any) each request came with.
 */
const MANIFEST = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'0'.repeat(64)}`, size: 2}, layers: [],
}))
const MANIFEST_DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`

interface Server {
  host: string
  certs: ServerCerts
  clientCert: string
  clientKey: string
  peers: string[]
  stop(): Promise<void>
}

async function makeClientCert(dir: string, certs: ServerCerts): Promise<{cert: string; key: string}> {
  const key = join(dir, 'client.key')
  const csr = join(dir, 'client.csr')
  const cert = join(dir, 'client.cert')
  const ext = join(dir, 'client.ext')
  writeFileSync(ext, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n')
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=imgvet-client'])
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', certs.caFile, '-CAkey', certs.caKeyFile, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext])
  return {cert, key}
}

async function startMtlsServer(t: Parameters<typeof tempDir>[0], requireClientCert: boolean): Promise<Server> {
  const dir = tempDir(t, 'imgvet-mtls')
  const certs = await makeServerCerts(dir)
  const client = await makeClientCert(dir, certs)
  const peers: string[] = []
  const server = https.createServer({
    cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile), ca: readFileSync(certs.caFile),
    requestCert: requireClientCert, rejectUnauthorized: requireClientCert,
  }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate()
    peers.push(String(peer.subject?.CN ?? ''))
    if (req.url === '/v2/') return void res.writeHead(200, {'content-type': 'application/json'}).end('{}')
    if (req.url === '/v2/mtls/app/manifests/latest') {
      return void res.writeHead(200, {'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': MANIFEST.length, 'docker-content-digest': MANIFEST_DIGEST}).end(MANIFEST)
    }
    res.writeHead(404, {'content-type': 'application/json'}).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const addr = server.address()
  const host = `127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
  const stop = async () => {
    server.closeAllConnections()
    await new Promise<void>((r) => server.close(() => r()))
  }
  t.teardown(stop)
  return {host, certs, clientCert: client.cert, clientKey: client.key, peers, stop}
}

function certsDir(t: Parameters<typeof tempDir>[0], s: Server, files: {ca?: boolean; client?: boolean}): string {
  const root = tempDir(t, 'imgvet-certs.d')
  const hostDir = join(root, s.host)
  mkdirSync(hostDir, {recursive: true})
  if (files.ca) copyFileSync(s.certs.caFile, join(hostDir, 'ca.crt'))
  if (files.client) {
    copyFileSync(s.clientCert, join(hostDir, 'client.cert'))
    copyFileSync(s.clientKey, join(hostDir, 'client.key'))
  }
  return root
}

test('a CA made in the test, trusted through certs.d/<host:port>/ca.crt or caFile', async (t) => {
  const s = await startMtlsServer(t, false)
  for (const opts of [{certsDir: certsDir(t, s, {ca: true})}, {caFile: s.certs.caFile, certsDir: certsDir(t, s, {})}]) {
    const client = registries(t, opts).get(s.host)
    const raw = await client.getManifest('mtls/app', 'latest')
    t.is(raw.digest, MANIFEST_DIGEST)
  }
})

test('mTLS: the client certificate from certs.d (client.cert + client.key) is presented', async (t) => {
  const s = await startMtlsServer(t, true)
  const client = registries(t, {certsDir: certsDir(t, s, {ca: true, client: true})}).get(s.host)
  const raw = await client.getManifest('mtls/app', 'latest')
  t.is(raw.digest, MANIFEST_DIGEST)
  t.true(s.peers.length >= 2)
  t.true(s.peers.every((cn) => cn === 'imgvet-client'))
})

test('mTLS: without the client certificate the handshake fails with a coded error (exit 3)', async (t) => {
  const s = await startMtlsServer(t, true)
  const client = registries(t, {certsDir: certsDir(t, s, {ca: true}), retries: 0, timeoutMs: 3000}).get(s.host)
  const err = await t.throwsAsync(client.getManifest('mtls/app', 'latest'), {instanceOf: ImgvetError})
  t.is(err?.exitCode, 3)
  t.is(s.peers.length, 0, 'no request was served')
})

test('a client.cert without its key is bad-input', (t) => {
  const root = tempDir(t)
  mkdirSync(join(root, 'example.com'))
  writeFileSync(join(root, 'example.com', 'client.cert'), 'not used')
  const err = t.throws(() => registries(t, {certsDir: root}).get('example.com'), {instanceOf: ImgvetError})
  t.is(err?.code, 'bad-input')
  t.is(err?.exitCode, 2)
})

test('an unreadable --ca-file is bad-input', (t) => {
  const err = t.throws(() => registries(t, {caFile: '/nonexistent/ca.pem'}).get('example.com'), {instanceOf: ImgvetError})
  t.is(err?.code, 'bad-input')
})
