import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Buildah} from './builder.js'
import {skopeoInspectRaw} from './builder.js'
import {awsKeyPair, githubToken, highEntropy, rsaPrivateKeyPem} from './fake-secrets.js'
import {describe, endpoint} from './fixture-images.js'
import type {PlantedSecret, RegistryState, SecretsState} from './state.js'

interface Plant {
  secret: Omit<PlantedSecret, 'layer' | 'removedIn' | 'whiteout'>
  content: string
  remove: boolean
}

/**
 * The image every secret check is measured against: layer 1 plants credentials of each kind, layer 2 deletes some
 * (whiteouts; the bytes stay in layer 1's blob), and the config leaks through ENV and a build-arg in history.
 */
export async function buildSecretsImage(b: Buildah, plain: RegistryState, dir: string): Promise<SecretsState> {
  const pkcs1 = await rsaPrivateKeyPem('pkcs1')
  const pkcs8 = await rsaPrivateKeyPem('pkcs8')
  const aws = awsKeyPair()
  const dockerAuth = Buffer.from(`deploy:${highEntropy(24)}`).toString('base64')
  const fileToken = githubToken()
  const argToken = githubToken()
  const dbPassword = highEntropy(32)

  const plants: Plant[] = [
    {secret: {kind: 'rsa-private-key-pkcs1', path: '/root/.ssh/id_rsa', values: [pkcs1.trim()]}, content: pkcs1, remove: true},
    {secret: {kind: 'rsa-private-key-pkcs8', path: '/app/tls/server.key', values: [pkcs8.trim()]}, content: pkcs8, remove: false},
    {
      secret: {kind: 'aws-credentials', path: '/root/.aws/credentials', values: [aws.accessKeyId, aws.secretAccessKey]},
      content: `[default]\naws_access_key_id = ${aws.accessKeyId}\naws_secret_access_key = ${aws.secretAccessKey}\nregion = eu-west-1\n`,
      remove: false,
    },
    {
      secret: {kind: 'docker-config-auth', path: '/root/.docker/config.json', values: [dockerAuth]},
      content: JSON.stringify({auths: {'registry.example.internal': {auth: dockerAuth}}}, null, 2) + '\n',
      remove: true,
    },
    {secret: {kind: 'github-token', path: '/app/.env', values: [fileToken]}, content: `APP_ENV=production\nGITHUB_TOKEN=${fileToken}\n`, remove: false},
  ]

  const stage = join(dir, 'secrets-stage')
  for (const p of plants) {
    const file = join(stage, p.secret.path)
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(file, p.content)
    chmodSync(file, 0o600)
  }

  // Docker's legacy builder records build args in front of RUN lines exactly like this.
  const leakCreatedBy = `|1 GITHUB_TOKEN=${argToken} /bin/sh -c ./scripts/fetch-private-deps.sh`
  const ctr1 = await b.from('imgvet-base')
  await b.copy(ctr1, `${stage}/.`, '/', {chown: '0:0'})
  await b.config(ctr1, ['--created-by', leakCreatedBy])
  await b.commit(ctr1, 'imgvet-secrets-1')

  const removed = plants.filter((p) => p.remove).map((p) => p.secret.path)
  const ctr2 = await b.from('imgvet-secrets-1')
  await b.run(ctr2, `rm -f ${removed.join(' ')}`)
  await b.config(ctr2, ['--created-by', `/bin/sh -c rm -f ${removed.join(' ')}`, '--env', `DB_PASSWORD=${dbPassword}`,
    '--user', 'root', '--port', '22/tcp', '--port', '8080/tcp'])
  await b.commit(ctr2, 'imgvet-secrets')
  const digest = await b.push('imgvet-secrets', `docker://${plain.host}/imgvet/secrets:latest`, {format: 'oci'})
  const image = await describe(plain, 'imgvet/secrets', 'latest', digest, 'planted secrets in layer 1, some deleted by whiteouts in layer 2; ENV and history leaks; USER root; EXPOSE 22 8080', 'root')

  const ref = `docker://${plain.host}/imgvet/secrets@${digest}`
  const manifest = JSON.parse(await skopeoInspectRaw(ref, endpoint(plain))) as {layers?: {digest?: string}[]}
  const config = JSON.parse(await skopeoInspectRaw(ref, endpoint(plain), true)) as {
    rootfs?: {diff_ids?: string[]}
    history?: {created_by?: string; empty_layer?: boolean}[]
  }
  const layerHistory = (config.history ?? []).filter((h) => !h.empty_layer)
  const layers = (manifest.layers ?? []).map((l, index) => ({
    index, digest: l.digest ?? '', diffId: config.rootfs?.diff_ids?.[index] ?? '', createdBy: layerHistory[index]?.created_by ?? '',
  }))
  const plantLayer = layers.findIndex((l) => l.createdBy === leakCreatedBy)
  const removeLayer = plantLayer + 1
  if (plantLayer < 0 || layers.length !== removeLayer + 1) {
    throw new Error(`secrets image has unexpected layers: ${JSON.stringify(layers.map((l) => l.createdBy))}`)
  }
  const historyIndex = (config.history ?? []).findIndex((h) => h.created_by === leakCreatedBy)
  return {
    image,
    layers,
    planted: plants.map((p) => ({
      ...p.secret,
      layer: plantLayer,
      ...(p.remove ? {removedIn: removeLayer, whiteout: join(dirname(p.secret.path), `.wh.${p.secret.path.split('/').pop() ?? ''}`).slice(1)} : {}),
    })),
    env: {name: 'DB_PASSWORD', value: dbPassword},
    historyLeak: {historyIndex, arg: 'GITHUB_TOKEN', value: argToken, createdBy: leakCreatedBy},
    user: 'root',
    exposedPorts: ['22/tcp', '8080/tcp'],
  }
}
