import type {X509Certificate} from 'node:crypto'
import {detectCertificates, type CertInfo} from '../certificates.js'
import type {Detector} from '../detector.js'
import {certSighting} from '../key-pairs.js'

export const certificatesDetector: Detector = {
  id: 'certificates', version: 3, needles: ['CERTIFICATE-----'],
  detect(text, ctx) {
    const sight = ctx.sight
    const onLeaf = sight && ((cert: X509Certificate, info: CertInfo, line: number, paired: boolean) => {
      const s = certSighting(cert, info, line, paired)
      if (s) sight(s)
    })
    return detectCertificates(text, ctx.path, ctx.lines, ctx.keys(), onLeaf)
  },
}
