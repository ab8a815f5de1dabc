/** Just enough DER to walk a PKCS#12 envelope: every read is bounds-checked, malformed input yields undefined. */
interface Tlv {
  tag: number
  /** Offset of the content. */
  start: number
  /** Offset after the content. */
  end: number
}

export function readTlv(buf: Buffer, at: number, limit = buf.length): Tlv | undefined {
  if (at + 2 > limit) return undefined
  const tag = buf[at] ?? 0
  if ((tag & 0x1f) === 0x1f) return undefined
  let len = buf[at + 1] ?? 0
  let p = at + 2
  if (len & 0x80) {
    const n = len & 0x7f
    // Indefinite lengths (BER) and lengths beyond 4 bytes are not what openssl or Java write.
    if (n === 0 || n > 4 || p + n > limit) return undefined
    len = 0
    for (let i = 0; i < n; i++) len = len * 256 + (buf[p + i] ?? 0)
    p += n
  }
  if (p + len > limit) return undefined
  return {tag, start: p, end: p + len}
}

export function children(buf: Buffer, parent: Tlv): Tlv[] | undefined {
  const out: Tlv[] = []
  let p = parent.start
  while (p < parent.end) {
    const t = readTlv(buf, p, parent.end)
    if (!t) return undefined
    out.push(t)
    p = t.end
    if (out.length > 64) return undefined
  }
  return out
}

export function oid(buf: Buffer, t: Tlv): string | undefined {
  if (t.tag !== 0x06 || t.end <= t.start) return undefined
  const b = buf.subarray(t.start, t.end)
  const first = b[0] ?? 0
  const parts = [Math.floor(first / 40), first % 40]
  let v = 0
  for (let i = 1; i < b.length; i++) {
    const c = b[i] ?? 0
    v = v * 128 + (c & 0x7f)
    if (!(c & 0x80)) {
      parts.push(v)
      v = 0
    }
  }
  return parts.join('.')
}

export function integer(buf: Buffer, t: Tlv): number | undefined {
  if (t.tag !== 0x02 || t.end - t.start > 6 || t.end === t.start) return undefined
  let v = 0
  for (let i = t.start; i < t.end; i++) v = v * 256 + (buf[i] ?? 0)
  return v
}
