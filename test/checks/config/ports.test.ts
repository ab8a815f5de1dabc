import test from 'ava'
import {exposedPortsCheck, portAllowed} from '../../../src/checks/config/ports.js'
import {ctx} from './helpers.js'

const ports = (...p: string[]) => Object.fromEntries(p.map((x) => [x, {}]))

test('exposed ports the policy allows pass', (t) => {
  const c = ctx({ExposedPorts: ports('8080/tcp', '9090')}, {requirements: {ports: {allow: ['8080/tcp', '9000-9100/tcp']}}})
  t.deepEqual(exposedPortsCheck.run(c), [])
})

test('each port the policy does not allow is a finding', (t) => {
  const c = ctx({ExposedPorts: ports('22/tcp', '8080/tcp', '53/udp')}, {requirements: {ports: {allow: ['8080/tcp', '53/tcp']}}})
  const f = exposedPortsCheck.run(c)
  t.deepEqual(f.map((x) => x.evidence.split(';')[0]), ['EXPOSE 22/tcp', 'EXPOSE 53/udp'])
  t.true(f.every((x) => x.id === 'config.port.not-allowed' && x.rule === 'ports' && x.severity === 'high'))
})

test('an empty allow list refuses every port; no ports policy reports nothing', (t) => {
  t.is(exposedPortsCheck.run(ctx({ExposedPorts: ports('80/tcp')}, {requirements: {ports: {allow: []}}})).length, 1)
  t.deepEqual(exposedPortsCheck.run(ctx({ExposedPorts: ports('80/tcp')})), [])
})

test('protocol defaults to tcp and ranges are inclusive', (t) => {
  t.true(portAllowed('8080', ['8080/tcp']))
  t.true(portAllowed('8080/tcp', ['8080']))
  t.false(portAllowed('8080/udp', ['8080']))
  t.true(portAllowed('1024/tcp', ['1024-65535/tcp']))
  t.false(portAllowed('1023/tcp', ['1024-65535/tcp']))
  t.false(portAllowed('not-a-port', ['1-65535/tcp']))
})
