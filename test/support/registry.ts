import {spawn, type ChildProcess} from 'node:child_process'
import {copyFileSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {makeServerCerts} from './certs.js'
import {run} from './exec.js'
import {freePort, request, waitUntil} from './net.js'
import {makeTempDir, removeDir} from './tmp.js'
import {startTokenServer, type TokenServer} from './token-server.js'

export type RegistryMode = 'plain' | 'tls' | 'htpasswd' | 'token'

export interface StartRegistryOptions {
  mode: RegistryMode
  /** Serve HTTPS in htpasswd/token modes too (tls mode always does). */
  tls?: boolean
  /** The account for htpasswd/token modes; generated when absent. */
  username?: string
  password?: string
  /** Extra accounts besides username/password. */
  users?: Record<string, string>
  /** Token mode: reuse a running token server (its service is used); otherwise one is started and owned. */
  tokenServer?: TokenServer
  /** Token mode, owned token server: repositories anonymous clients may pull. */
  publicRepos?: string[]
  logLevel?: 'error' | 'warn' | 'info' | 'debug'
  /** Accept manifests whose layers name `urls` (foreign layers); the registry refuses them unless allowed. */
  allowUrls?: boolean
}

export interface RunningRegistry {
  mode: RegistryMode
  /** `127.0.0.1:PORT`: what goes in front of a repository in an image reference. */
  host: string
  /** `http(s)://127.0.0.1:PORT` */
  url: string
  tls: boolean
  /** CA that signed the server cert (TLS only). */
  caFile?: string
  /** docker certs.d layout root: `<certsDir>/127.0.0.1:PORT/ca.crt` (TLS only); matches RegistryOptions.certsDir. */
  certsDir?: string
  /** The per-host dir inside certsDir: what skopeo's --cert-dir / --dest-cert-dir want. */
  certDir?: string
  username?: string
  password?: string
  tokenServer?: TokenServer
  storageDir: string
  logFile: string
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
// A crashed test file must not leave registries listening; 'exit' handlers must be synchronous, kill() is.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64url')
}

async function writeHtpasswd(file: string, users: Record<string, string>): Promise<void> {
  const lines: string[] = []
  for (const [user, pass] of Object.entries(users)) {
    // -B: bcrypt is the only hash the distribution registry accepts.
    const {stdout} = await run('htpasswd', ['-Bbn', user, pass])
    lines.push(stdout.trim())
  }
  writeFileSync(file, lines.join('\n') + '\n')
}

function configYaml(o: {addr: string; storage: string; logLevel: string; tls?: {cert: string; key: string};
  auth?: string; allowUrls?: boolean}): string {
  return [
    'version: 0.1',
    'log:',
    `  level: ${o.logLevel}`,
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(o.storage)}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: ${o.addr}`,
    '  secret: imgvet-test-not-a-secret',
    ...(o.tls ? ['  tls:', `    certificate: ${JSON.stringify(o.tls.cert)}`, `    key: ${JSON.stringify(o.tls.key)}`] : []),
    ...(o.auth ? [o.auth] : []),
    ...(o.allowUrls ? ['validation:', '  manifests:', '    urls:', '      allow:', "        - '^https?://'"] : []),
    '',
  ].join('\n')
}

/**
 * Starts the real CNCF distribution registry (Debian's docker-registry 2.8) on a free loopback port with its own
 * storage and config, so each caller gets an isolated registry that behaves exactly like production ones.
 */
export async function startRegistry(opts: StartRegistryOptions): Promise<RunningRegistry> {
  const dir = makeTempDir(`imgvet-registry-${opts.mode}`)
  const storageDir = join(dir, 'storage')
  mkdirSync(storageDir)
  const useTls = opts.mode === 'tls' || opts.tls === true
  const needsUser = opts.mode === 'htpasswd' || opts.mode === 'token'
  const username = needsUser ? opts.username ?? 'imgvet' : undefined
  const password = needsUser ? opts.password ?? randomSecret() : undefined
  const users: Record<string, string> = {...opts.users, ...(username && password ? {[username]: password} : {})}

  const certs = useTls ? await makeServerCerts(dir) : undefined
  let tokenServer: TokenServer | undefined
  let ownsTokenServer = false
  let auth: string | undefined
  if (opts.mode === 'htpasswd') {
    const file = join(dir, 'htpasswd')
    await writeHtpasswd(file, users)
    auth = ['auth:', '  htpasswd:', '    realm: imgvet-test', `    path: ${JSON.stringify(file)}`].join('\n')
  } else if (opts.mode === 'token') {
    tokenServer = opts.tokenServer ?? (await startTokenServer({users, publicRepos: opts.publicRepos}))
    ownsTokenServer = opts.tokenServer === undefined
    auth = ['auth:', '  token:', `    realm: ${tokenServer.realm}`, `    service: ${JSON.stringify(tokenServer.service)}`,
      `    issuer: ${JSON.stringify(tokenServer.issuer)}`, `    rootcertbundle: ${JSON.stringify(tokenServer.certFile)}`].join('\n')
  }

  const logFile = join(dir, 'registry.log')
  let child: ChildProcess | undefined
  let host = ''
  // The free port may be taken between probing and binding; a registry that dies at once gets another try.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    const port = await freePort()
    host = `127.0.0.1:${port}`
    const configFile = join(dir, 'config.yml')
    writeFileSync(configFile, configYaml({addr: host, storage: storageDir, logLevel: opts.logLevel ?? 'error',
      tls: certs ? {cert: certs.certFile, key: certs.keyFile} : undefined, auth, allowUrls: opts.allowUrls}))
    const fd = openSync(logFile, 'a')
    const proc = spawn('docker-registry', ['serve', configFile], {stdio: ['ignore', fd, fd]})
    closeSync(fd)
    live.add(proc)
    let exited = false
    proc.once('exit', () => {
      exited = true
      live.delete(proc)
    })
    proc.once('error', () => {
      exited = true
    })
    const url = `${useTls ? 'https' : 'http'}://${host}`
    try {
      await waitUntil(`registry ${url}`, async () => {
        if (exited) throw new Error('exited')
        const res = await request(`${url}/v2/`, {caFile: certs?.caFile, timeoutMs: 1000})
        return res.status === 200 || res.status === 401
      }, 15_000)
      child = proc
    } catch (e) {
      proc.kill('SIGKILL')
      if (!exited && attempt === 4) throw e
      if (attempt === 4) {
        removeDir(dir)
        throw new Error(`docker-registry failed to start: ${readFileSync(logFile, 'utf8').slice(-2000)}`)
      }
    }
  }
  if (!child) throw new Error('docker-registry failed to start')

  let certsDir: string | undefined
  let certDir: string | undefined
  if (certs) {
    certsDir = join(dir, 'certs.d')
    certDir = join(certsDir, host)
    mkdirSync(certDir, {recursive: true})
    copyFileSync(certs.caFile, join(certDir, 'ca.crt'))
  }
  const proc = child
  return {
    mode: opts.mode, host, url: `${useTls ? 'https' : 'http'}://${host}`, tls: useTls, caFile: certs?.caFile, certsDir, certDir,
    username, password, tokenServer, storageDir, logFile,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((r) => proc.once('exit', () => r()))
        proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 3000)
        await gone
        clearTimeout(timer)
      }
      if (ownsTokenServer && tokenServer) await tokenServer.stop()
      removeDir(dir)
    },
  }
}
