// an npm dependency, bundled: ua-parser-js directly
import { NextResponse, userAgentFromString } from 'next/server'
import { UAParser } from 'ua-parser-js'

export const config = { matcher: '/app/:path*' }

export function middleware(request) {
  const parser = new UAParser(request.headers.get('user-agent') ?? '')
  const os = parser.getOS().name ?? 'unknown'
  const { isBot } = userAgentFromString(request.headers.get('user-agent') ?? undefined)
  if (isBot || /curl|wget|python-requests/i.test(parser.getUA())) {
    return NextResponse.json({ blocked: true, os }, { status: 403 })
  }
  const res = NextResponse.next()
  res.headers.set('x-os', os)
  return res
}
