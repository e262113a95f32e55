import { NextResponse } from 'next/server'
import type { NextRequest } from 'next/server'

const COOKIE = 'bucket-home'
const BUCKETS = ['a', 'b', 'c'] as const
type Bucket = (typeof BUCKETS)[number]

// deterministic for the test: the bucket from a hash of the visitor id
function pick(id: string): Bucket {
  let h = 0
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0
  return BUCKETS[h % BUCKETS.length]
}

export function middleware(req: NextRequest) {
  const existing = req.cookies.get(COOKIE)?.value as Bucket | undefined
  const bucket = existing && BUCKETS.includes(existing) ? existing : pick(req.headers.get('x-visitor') ?? 'anon')
  const url = req.nextUrl.clone()
  url.pathname = `/home/${bucket}`
  const res = NextResponse.rewrite(url)
  if (!existing) {
    res.cookies.set(COOKIE, bucket, { path: '/', maxAge: 60 * 60 * 24, sameSite: 'lax' })
  }
  return res
}

export const config = { matcher: ['/home'] }
