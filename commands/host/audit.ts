import {Flags} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {BaseCommand, formatFlag} from '../_base.js'
import {ImgvetError} from '../../src/errors.js'
import {auditHost} from '../../src/host/audit.js'
import {DEFAULT_LABEL_KEYS} from '../../src/host/containers.js'
import {renderAs} from '../../src/report/render.js'
import {loadPolicy} from '../../src/policy/load.js'
import {useColor} from '../../src/report/text.js'

function readPem(flag: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined
  try {
    return readFileSync(file)
  } catch (e) {
    throw new ImgvetError('bad-input', `cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`)
  }
}

export default class HostAudit extends BaseCommand {
  static summary = 'Audit a docker host: engine API exposure, every container (running or not), owners, packages.'
  static description = [
    'Two sources, each optional: the engine API (--host, docker or podman; a tcp:// endpoint is probed as an attacker',
    'would, without credentials) and the host filesystem (--root, / or a copied root: daemon.json, systemd units,',
    '/etc/default/docker, file modes, the docker group, installed packages; listening sockets only for /). A check',
    'whose source is missing is listed as not checked, never passed. Exit codes: 0 pass, 1 fail, 2 bad input,',
    '3 a source could not be read.',
  ].join('\n')
  static examples = [
    '<%= config.bin %> host audit --host unix:///var/run/docker.sock --root /',
    '<%= config.bin %> host audit --host tcp://10.0.0.5:2376 --tlscacert ca.pem --tlscert cert.pem --tlskey key.pem',
    '<%= config.bin %> host audit --root /mnt/host-copy --format json',
  ]
  static flags = {
    host: Flags.string({char: 'H', description: 'Engine API: unix:///path or tcp://host:port.'}),
    tlscacert: Flags.string({description: 'CA that signed the engine server certificate.'}),
    tlscert: Flags.string({description: 'Client certificate for a mutual-TLS engine.'}),
    tlskey: Flags.string({description: 'Client key for a mutual-TLS engine.'}),
    root: Flags.string({description: 'Host filesystem to read: / or a mounted or copied root.'}),
    policy: Flags.string({char: 'p', description: 'Preset name or policy file (its catch-all scope judges).',
      default: 'default'}),
    'owner-label': Flags.string({description: 'Label naming whose data a container holds.',
      default: DEFAULT_LABEL_KEYS.owner}),
    'sensitivity-label': Flags.string({description: 'Label naming how sensitive its data is.',
      default: DEFAULT_LABEL_KEYS.sensitivity}),
    'allow-package': Flags.string({description: 'Package allowed on the host besides the built-in set (repeatable).',
      multiple: true}),
    'allow-process': Flags.string({description: 'Process allowed to listen (a monitoring agent; repeatable).',
      multiple: true}),
    'allow-port': Flags.integer({description: 'Port allowed to listen on all interfaces (repeatable).', multiple: true}),
    'no-images': Flags.boolean({description: "Do not vet the containers' images (exported from the engine)."}),
    format: formatFlag('text', 'host'),
    output: Flags.string({char: 'o', description: 'Write the report to FILE.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(HostAudit)
    const policy = await loadPolicy(flags.policy)
    const cert = readPem('--tlscert', flags.tlscert)
    const key = readPem('--tlskey', flags.tlskey)
    if (Boolean(cert) !== Boolean(key)) throw new ImgvetError('usage', '--tlscert and --tlskey go together')
    const {report, exitCode} = await auditHost({
      engine: flags.host ? {url: flags.host, ca: readPem('--tlscacert', flags.tlscacert), cert, key} : undefined,
      root: flags.root,
      policy,
      labels: {owner: flags['owner-label'], sensitivity: flags['sensitivity-label']},
      allowPackages: flags['allow-package'],
      allowProcesses: flags['allow-process'],
      allowPorts: flags['allow-port'],
      vetImages: !flags['no-images'],
    })
    await this.emit(renderAs('host', flags.format, report, {color: !flags.output && useColor()}), flags.output)
    process.exitCode = exitCode
  }
}
