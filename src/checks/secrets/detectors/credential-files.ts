import type {Detector} from '../detector.js'
import {credentialFileKind, detectCredentialFile} from '../credential-files.js'

/** Files that are credentials by name (`.npmrc`, `.docker/config.json`, `/etc/shadow`…): the path gates them. */
export const credentialFilesDetector: Detector = {
  id: 'credential-files', version: 11, needles: [],
  gate: (_text, path) => credentialFileKind(path) !== undefined,
  detect: (text, ctx) => detectCredentialFile(text, ctx.path, ctx.lines),
}
