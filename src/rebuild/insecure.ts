import {parseReference, type Reference} from '../reference/reference.js'

/** Loopback registries (127.0.0.0/8, localhost, [::1]) are plain HTTP in local setups and tests. */
function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : (registry.split(':')[0] ?? '')
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

export function referenceIsLoopback(ref: string | Reference): boolean {
  try {
    return isLoopbackRegistry((typeof ref === 'string' ? parseReference(ref) : ref).registry)
  } catch {
    return false
  }
}
