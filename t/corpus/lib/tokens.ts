// HMAC-signed session tokens: "<user>.<expiry>.<signature>"
const encoder = new TextEncoder()

async function hmac(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)))
  return Array.from(sig, (b) => b.toString(16).padStart(2, '0')).join('')
}

export type Claims = { sub: string; exp: number }

export async function verify(token: string, secret: string, now = 1_700_000_000): Promise<Claims | null> {
  const [sub, exp, sig, ...extra] = token.split('.')
  if (!sub || !exp || !sig || extra.length) return null
  const expected = await hmac(secret, `${sub}.${exp}`)
  if (expected !== sig) return null
  const claims = { sub, exp: Number(exp) }
  return claims.exp > now ? claims : null
}
