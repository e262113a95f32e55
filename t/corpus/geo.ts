import { NextResponse, type NextRequest } from 'next/server'

const BLOCKED = new Set(['KP', 'SY'])
const STORES: Record<string, string> = { DE: '/de-store', FR: '/fr-store' }

// Next.js 15+ has no request.geo: the platform's headers
function country(req: NextRequest): string {
  return req.headers.get('x-vercel-ip-country')?.toUpperCase() || 'US'
}

export default function geo(req: NextRequest) {
  const c = country(req)
  if (BLOCKED.has(c)) {
    return new Response(`Unavailable in ${c}`, { status: 451 })
  }
  const store = STORES[c]
  if (store && req.nextUrl.pathname === '/store') {
    return NextResponse.rewrite(new URL(store + req.nextUrl.search, req.url))
  }
  const res = NextResponse.next()
  res.headers.set('x-country', c)
  res.headers.set('x-city', decodeURIComponent(req.headers.get('x-vercel-ip-city') ?? 'unknown'))
  return res
}

export const config = { matcher: ['/store', '/where'] }
