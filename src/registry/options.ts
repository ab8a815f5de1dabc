/** How to reach registries; built once by the CLI from flags and environment and passed down, never global. */
export interface RegistryOptions {
  /** Credentials given on the command line; they win over docker config for every host. */
  username?: string
  password?: string
  /** Extra CA bundle (PEM) trusted for every host, on top of the system CAs. */
  caFile?: string
  /** docker's certs.d layout: <dir>/<host[:port]>/{ca.crt,client.cert,client.key}. */
  certsDir?: string
  /** Allow plain HTTP for hosts that are not loopback. */
  plainHttp?: boolean
  /** Skip TLS verification (skopeo's --tls-verify=false). */
  insecureSkipVerify?: boolean
  /** Per-request timeout in milliseconds (headers and each body read). */
  timeoutMs?: number
  /** Bounded retries on 429/5xx/resets. */
  retries?: number
  /** --authfile (or REGISTRY_AUTH_FILE): the only credentials file read, as skopeo does; `given` names which. */
  authFile?: {path: string; given: string}
  /** Where docker config.json lives; default $DOCKER_CONFIG or ~/.docker. */
  dockerConfigDir?: string
  /** No network at all (--offline): every connection is refused before a socket is opened. */
  offline?: boolean
  /** Called with human-readable progress (debug). */
  log?: (msg: string) => void
}

export const DEFAULT_TIMEOUT_MS = 30_000
export const DEFAULT_RETRIES = 3
