import test from 'ava'
import {detectInText} from '../../src/checks/secrets/index.js'
import {awsKeyPair, highEntropy} from '../support/fake-secrets.js'

const ids = (text: string, path = '/app/x.txt') => detectInText(text, path).map((d) => `${d.id}:${d.severity}`)

test('AWS key id with a secret next to it is one critical pair', (t) => {
  const k = awsKeyPair()
  const ds = detectInText(`export AWS_ACCESS_KEY_ID=${k.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${k.secretAccessKey}\n`, '/app/env.sh')
  t.is(ds.length, 1, 'one secret is one finding')
  t.true(ds.every((d) => d.id === 'secret.aws-access-key' && d.severity === 'critical'))
  t.is(ds[0]?.secret, k.secretAccessKey)
})

test('AWS key id alone is medium; a named secret alone is high; an encrypted blob under the name is nothing', (t) => {
  t.deepEqual(ids(`id: ${awsKeyPair().accessKeyId}`), ['secret.aws-access-key-id:medium'])
  t.deepEqual(ids(`aws_secret_access_key = ${awsKeyPair().secretAccessKey}`), ['secret.aws-secret-key:high'])
  t.deepEqual(ids('AWS_SECRET_ACCESS_KEY = R6WCNd0erkAuZyD+Fe8C4IwjpYQtniKqnHAzE7Pk5fPrBRpwOnuYxA=='), [])
})

test('GCP service account key; placeholders are not', (t) => {
  const key = `-----BEGIN PRIVATE KEY-----\\n${highEntropy(64)}\\n${highEntropy(64)}\\n-----END PRIVATE KEY-----\\n`
  t.deepEqual(ids(`{"type": "service_account", "private_key": "${key}", "client_email": "a@b"}`), ['secret.gcp-service-account:critical'])
  t.deepEqual(ids('{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"}'), [])
  t.deepEqual(ids('{"private_key_id": "DUMMY", "private_key": "DUMMY"}'), [])
})

test('Azure: connection string, SAS token, Azurite key is info', (t) => {
  const key = Buffer.from(highEntropy(64)).toString('base64')
  t.deepEqual(ids(`DefaultEndpointsProtocol=https;AccountName=acc;AccountKey=${key};EndpointSuffix=core.windows.net`), ['secret.azure-storage-key:critical'])
  const sas = `https://acc.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=${encodeURIComponent(Buffer.from(highEntropy(32)).toString('base64'))}`
  t.deepEqual(ids(sas), ['secret.azure-sas-token:high'])
  t.deepEqual(ids('https://x/y?sig=abcdefghijklmnopqrstuvwxyz'), [], 'sig= without SAS fields is not a SAS')
  const azurite = 'AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
  t.deepEqual(ids(azurite), ['secret.azure-storage-key:info'])
})
