// Next.js 16: proxy.ts with "export function proxy"
import { NextResponse, type NextRequest } from 'next/server'

const USERS = new Map<string, string>([
  ['alice', 'wonderland'],
  ['bob', 'builder'],
])

export function proxy(request: NextRequest) {
  const header = request.headers.get('authorization') ?? ''
  const [scheme, encoded = ''] = header.split(' ')
  if (scheme === 'Basic') {
    let decoded = ''
    try {
      decoded = atob(encoded)
    } catch {
      return new NextResponse('bad credentials encoding', { status: 400 })
    }
    const i = decoded.indexOf(':')
    const [user, pass] = [decoded.slice(0, i), decoded.slice(i + 1)]
    if (USERS.get(user) === pass) {
      const res = NextResponse.next()
      res.headers.set('x-authenticated-user', user)
      return res
    }
  }
  return new NextResponse('Authentication required', {
    status: 401,
    headers: { 'WWW-Authenticate': 'Basic realm="Secure Area"' },
  })
}

export const config = { matcher: '/private/:path*' }
