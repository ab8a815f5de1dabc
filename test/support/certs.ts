import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {run} from './exec.js'

export interface ServerCerts {
  dir: string
  caFile: string
  caKeyFile: string
  certFile: string
  keyFile: string
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with openssl so the registry (Go's
 * crypto/tls) and Node both accept it the way they would a real deployment's.
 */
export async function makeServerCerts(dir: string): Promise<ServerCerts> {
  const caKeyFile = join(dir, 'ca.key')
  const caFile = join(dir, 'ca.crt')
  const keyFile = join(dir, 'server.key')
  const csrFile = join(dir, 'server.csr')
  const certFile = join(dir, 'server.crt')
  const extFile = join(dir, 'server.ext')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKeyFile, '-out', caFile, '-days', '2',
    '-subj', '/CN=imgvet test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', '/CN=127.0.0.1'])
  writeFileSync(extFile, [
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '',
  ].join('\n'))
  await run('openssl', ['x509', '-req', '-in', csrFile, '-CA', caFile, '-CAkey', caKeyFile, '-CAcreateserial', '-out', certFile,
    '-days', '2', '-extfile', extFile])
  return {dir, caFile, caKeyFile, certFile, keyFile}
}

export interface SigningCert {
  certFile: string
  keyFile: string
  certPem: string
  keyPem: string
}

/** A self-signed RSA certificate: the token server signs with its key and the registry trusts the cert as a root. */
export async function makeSigningCert(dir: string, cn: string): Promise<SigningCert> {
  const keyFile = join(dir, 'token.key')
  const certFile = join(dir, 'token.crt')
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${cn}`])
  return {certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8')}
}
