import type {Finding, Severity} from '../findings/finding.js'

/** One image (a platform manifest) as found in one repository, with its verdict. */
export interface ImageResult {
  /** `host/repository:firstTag@digest`, what a reader pastes into `imgvet vet`. */
  reference: string
  repository: string
  tags: string[]
  /** The platform image manifest's digest (what was scanned). */
  digest: string
  /** The index it was selected from, when the tags point at an index. */
  indexDigest?: string
  platform: string
  verdict: 'pass' | 'fail'
  reasons: Array<{id: string; message: string}>
  findings: Finding[]
  suppressedCount: number
  /** diffIDs, so a merge of shard reports can count unique layers exactly. */
  layers: string[]
  /** When the policy was evaluated; a reused result keeps its original time. */
  evaluatedAt: string
  /** True when the digest was unchanged and the recorded result of an earlier run was reused. */
  reused?: boolean
  /** The cosign/referrer tags present when it was judged; reuse requires the same set. */
  supplyTags?: string[]
  /** Referrers the API listed and signature tags in another repository when it was judged; reuse requires the same. */
  supplyMaterial?: string[]
}

/** Something that could not be scanned: a whole repository, one tag, or one image. */
export interface ScanError {
  repository: string
  tag?: string
  digest?: string
  platform?: string
  /** ImgvetError.oneLine(): `code: message (where)`. */
  reason: string
  code: string
}

export interface FindingChange {
  repository: string
  platform: string
  reference: string
  id: string
  severity: Severity
  title: string
  path: string | null
  evidence: string
  fingerprint: string
}

export interface ImageChange {
  repository: string
  digest: string
  platform: string
  tags: string[]
}

export interface Changes {
  /** When the run compared against started; null on the first run (nothing is "new" without a baseline). */
  since: string | null
  newFindings: FindingChange[]
  fixedFindings: FindingChange[]
  newImages: ImageChange[]
  removedImages: ImageChange[]
}

interface RunStats {
  images: number
  uniqueLayers: number
  layersScanned: number
  layersFromCache: number
  /** Images whose unchanged digest let the recorded verdict be reused without fetching config or layers. */
  imagesReused: number
  bytesDownloaded: number
  seconds: number
}

export interface RunReport {
  run: {
    started: string
    finished: string
    registry: string
    policy: string
    shard: string | null
    resumed: boolean
    interrupted: boolean
    /** What the verdicts were judged by (policyHash), so a merge can refuse shards judged by different policies. */
    policyHash?: string
    /** A merge that lacks shards (`registry merge --allow-partial`): the registry was not wholly scanned. */
    partial?: boolean
    missingShards?: string[]
  }
  images: ImageResult[]
  errors: ScanError[]
  changes: Changes
  stats: RunStats
}
