import {parseDuration} from '../duration.js'
import {DEFAULT_TIMEOUT_MS, type RegistryOptions} from '../registry/options.js'
import {checkCaFile} from '../registry/tls.js'

/** The connection flags every registry command has, as parsed (oclif's or pull's fast path). */
export interface ConnectionFlags {
  'ca-file'?: string
  'cert-dir'?: string
  'plain-http'?: boolean
  'tls-verify'?: boolean
  timeout?: string
}

/**
 * Connection options from those flags, checked before any request (a CA file that is no PEM is an error here);
 * `warn` says once that TLS is not verified. One place for both the oclif commands and pull's fast path.
 */
export function connectionOptions(flags: ConnectionFlags, warn: (flag: string, what: string) => void): RegistryOptions {
  const opts: RegistryOptions = {
    caFile: flags['ca-file'],
    certsDir: flags['cert-dir'],
    plainHttp: Boolean(flags['plain-http']),
    insecureSkipVerify: flags['tls-verify'] === false,
    timeoutMs: flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(String(flags.timeout)),
  }
  if (opts.caFile) checkCaFile(opts.caFile)
  if (opts.insecureSkipVerify) warn('--tls-verify=false', 'registry TLS certificates are not verified')
  return opts
}
