import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {ImgvetError} from '../errors.js'
import {DOCKER_HUB} from '../reference/reference.js'

export interface Credential {
  username?: string
  password?: string
  /** An OAuth2 refresh token (docker config `identitytoken`), exchanged at the token endpoint. */
  identityToken?: string
  /** Where it came from (--username, --authfile FILE, an auth file, docker config), so a refusal can say. */
  from?: string
}

interface DockerConfig {
  auths?: Record<string, {auth?: string; username?: string; password?: string; identitytoken?: string}>
  credsStore?: string
  credHelpers?: Record<string, string>
}

// docker stores Hub credentials under its v1 URL; other registries by host, sometimes with a scheme or path.
const HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']

function keyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
}

function dockerConfigDir(explicit?: string): string {
  return explicit ?? process.env.DOCKER_CONFIG ?? join(homedir(), '.docker')
}

function loadConfig(file: string): DockerConfig | null {
  if (!existsSync(file)) return null
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object')
    return parsed as DockerConfig
  } catch (e) {
    const what = file.endsWith('config.json') ? 'docker config' : 'auth file'
    throw new ImgvetError('bad-input', `${what} is not valid JSON: ${(e as Error).message}`, file)
  }
}

function runHelper(helper: string, serverUrl: string): Credential | null {
  const program = `docker-credential-${helper}`
  const res = spawnSync(program, ['get'], {input: serverUrl, encoding: 'utf8', timeout: 15_000})
  if (res.error) {
    const code = (res.error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new ImgvetError('tool-missing', `credential helper ${program} not found on PATH`, serverUrl)
    throw new ImgvetError('unauthorized', `credential helper ${program} failed: ${res.error.message}`, serverUrl)
  }
  if (res.status !== 0) {
    // helpers answer "credentials not found in native keychain" with a non-zero exit: that is "no credential".
    if (/not found/i.test(res.stdout + res.stderr)) return null
    throw new ImgvetError('unauthorized', `credential helper ${program} exited ${res.status}: ${(res.stderr || res.stdout).trim().split('\n')[0]}`, serverUrl)
  }
  try {
    const out = JSON.parse(res.stdout) as {Username?: string; Secret?: string}
    if (!out.Secret) return null
    // docker's convention: username "<token>" means the secret is an identity token.
    if (out.Username === '<token>') return {identityToken: out.Secret}
    return {username: out.Username, password: out.Secret}
  } catch {
    throw new ImgvetError('unauthorized', `credential helper ${program} printed invalid JSON`, serverUrl)
  }
}

function decodeAuth(auth: string, where: string): Credential {
  const text = Buffer.from(auth, 'base64').toString('utf8')
  const i = text.indexOf(':')
  if (i < 0) throw new ImgvetError('bad-input', 'docker config auth entry is not base64 "user:password"', where)
  return {username: text.slice(0, i), password: text.slice(i + 1)}
}

/**
 * Credentials for a registry from one docker config dir, in docker's order: credHelpers[host], then auths[host]
 * (auth, username/password, identitytoken), then credsStore. Returns null for anonymous access.
 */
export function lookupCredential(registry: string, configDir?: string): Credential | null {
  return fromFile(join(dockerConfigDir(configDir), 'config.json'), registry)
}

/** containers-auth.json(5) has docker's layout (auths, credHelpers), so one reader serves both. */
function fromFile(file: string, registry: string): Credential | null {
  const cfg = loadConfig(file)
  if (!cfg) return null
  const isHub = registry === DOCKER_HUB
  const wanted = isHub ? HUB_KEYS : [registry]
  const serverUrl = isHub ? 'https://index.docker.io/v1/' : registry
  for (const [host, helper] of Object.entries(cfg.credHelpers ?? {})) {
    if (wanted.includes(host) || wanted.includes(keyHost(host))) return runHelper(helper, serverUrl)
  }
  for (const [key, entry] of Object.entries(cfg.auths ?? {})) {
    if (!wanted.includes(key) && !wanted.includes(keyHost(key))) continue
    const where = `${file} auths["${key}"]`
    if (entry.identitytoken) return {identityToken: entry.identitytoken}
    if (entry.auth) return decodeAuth(entry.auth, where)
    if (entry.username && entry.password) return {username: entry.username, password: entry.password}
  }
  if (cfg.credsStore) return runHelper(cfg.credsStore, serverUrl)
  return null
}

interface CredentialSources {
  /** --authfile (or REGISTRY_AUTH_FILE): then it is the only file read, as skopeo and podman do. */
  authFile?: {path: string; given: string}
  dockerConfigDir?: string
  /** XDG_RUNTIME_DIR, XDG_CONFIG_HOME, DOCKER_CONFIG, HOME, REGISTRY_AUTH_FILE; default process.env. */
  env?: NodeJS.ProcessEnv
}

/** The files skopeo reads, in its order, each with the words that name it in "credentials from ... rejected". */
function credentialFiles(sources: CredentialSources = {}): Array<{file: string; label: string}> {
  const env = sources.env ?? process.env
  const explicit = sources.authFile ?? (env.REGISTRY_AUTH_FILE ? {path: env.REGISTRY_AUTH_FILE, given: 'REGISTRY_AUTH_FILE'} : undefined)
  if (explicit) {
    if (!existsSync(explicit.path)) throw new ImgvetError('bad-input', `${explicit.given}: no such auth file`, explicit.path)
    return [{file: explicit.path, label: `${explicit.given} ${explicit.path}`}]
  }
  const home = env.HOME || homedir()
  const uid = process.getuid?.() ?? 0
  const runtime = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : `/run/containers/${uid}/auth.json`
  const xdgConfig = join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json')
  const docker = join(sources.dockerConfigDir ?? env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json')
  return [{file: runtime, label: runtime}, {file: xdgConfig, label: xdgConfig}, {file: docker, label: `docker config ${docker}`}]
}

/** The first file in skopeo's order that has credentials for the registry, and where they came from. */
export function findCredential(registry: string, sources: CredentialSources = {}): Credential | null {
  for (const {file, label} of credentialFiles(sources)) {
    const credential = fromFile(file, registry)
    if (credential) return {...credential, from: label}
  }
  return null
}
