import {createHash, generateKeyPairSync} from 'node:crypto'
import {FILE_CHECKS} from '../../../src/checks/index.js'
import type {Finding} from '../../../src/findings/finding.js'
import {walkImage} from '../../../src/layers/walk.js'
import {imageOf, makeTar, type TarItem} from '../helpers.js'

export type {TarItem}

export const pem = (): string => generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}).toString()
export const hex = (algo: string, s: string | Buffer): string => createHash(algo).update(s).digest('hex')

/** The private-key findings of an image made of these layers, with their origins. */
export async function keyFindings(layers: TarItem[][]): Promise<Finding[]> {
  const {image} = await imageOf(await Promise.all(layers.map(async (l) => ({tar: await makeTar(l)}))))
  const walk = await walkImage(image, {checks: FILE_CHECKS, cache: null})
  return walk.findings.filter((f) => f.category === 'private-key')
}
