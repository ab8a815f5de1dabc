/** The shape of the fixture state file written by fixtures.ts and read by env.ts; tests depend on it. */

export interface RegistryState {
  mode: 'plain' | 'tls' | 'htpasswd' | 'token'
  host: string
  url: string
  caFile?: string
  /** docker certs.d root (`<certsDir>/<host>/ca.crt`) */
  certsDir?: string
  /** the per-host certs dir (skopeo --cert-dir) */
  certDir?: string
  username?: string
  password?: string
  token?: {realm: string; service: string; issuer: string; url: string; publicRepos: string[]}
}

export interface ImageState {
  /** `host/repo:tag` without transport */
  ref: string
  registry: RegistryState['mode']
  repository: string
  tag: string
  digest: string
  mediaType: string
  description: string
  /** for indexes: one entry per platform */
  platforms?: {platform: string; digest: string; mediaType: string}[]
  layerMediaTypes?: string[]
  user?: string
}

export interface PlantedSecret {
  kind: 'rsa-private-key-pkcs1' | 'rsa-private-key-pkcs8' | 'aws-credentials' | 'docker-config-auth' | 'github-token'
  /** absolute path inside the image */
  path: string
  /** manifest layer index (0 = base) that adds the file */
  layer: number
  /** layer index whose whiteout deletes it; absent when it survives into the final filesystem */
  removedIn?: number
  /** whiteout entry path inside that layer's tar (no leading slash) */
  whiteout?: string
  /** the secret material itself (fake) so tests can check that output never prints it whole */
  values: string[]
}

export interface SecretsState {
  image: ImageState
  layers: {index: number; digest: string; diffId: string; createdBy: string}[]
  planted: PlantedSecret[]
  env: {name: string; value: string}
  historyLeak: {historyIndex: number; arg: string; value: string; createdBy: string}
  user: string
  exposedPorts: string[]
}

export interface RootUserVariant {
  /** the USER value in the config */
  user: string
  /** the uid the user resolves to through the image's /etc/passwd, or null when it does not resolve */
  uid: number | null
  runsAsRoot: boolean | 'unknown'
  image: ImageState
}

export interface FixtureState {
  version: 1
  tmpDir: string
  buildSeconds: number
  registries: Record<RegistryState['mode'], RegistryState>
  images: {
    base: ImageState
    baseDocker: ImageState
    multiOci: ImageState
    multiDocker: ImageState
    zstd: ImageState
    /** the base in the other registries: tls, htpasswd, token (private) and token (anonymous pull allowed) */
    baseTls: ImageState
    baseHtpasswd: ImageState
    baseToken: ImageState
    publicToken: ImageState
  }
  baseUser: {name: string; uid: number}
  secrets: SecretsState
  rootUser: RootUserVariant[]
  catalog: {registry: 'plain'; repositories: string[]; pageSize: number; paginatedRepositories: string[]}
  archives: {
    dockerArchive: {path: string; ref: string}
    ociArchive: {path: string; tag: string}
    ociLayout: {dir: string; tag: string}
    zstdLayout: {dir: string; tag: string}
    /** manifest digest of the base in the OCI archive/layout (skopeo keeps it when no conversion is needed) */
    ociDigest: string
  }
}
