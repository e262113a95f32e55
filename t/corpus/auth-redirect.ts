import { NextResponse, type NextRequest } from 'next/server'
import { parseSession, PUBLIC_PATHS } from './lib/auth'

export function middleware(request: NextRequest) {
  const { pathname, search } = request.nextUrl
  if (PUBLIC_PATHS.some((p) => pathname.startsWith(p))) {
    return NextResponse.next()
  }

  const session = parseSession(request.cookies.get('session')?.value)
  if (!session) {
    const url = request.nextUrl.clone()
    url.pathname = '/login'
    url.searchParams.set('from', pathname + search)
    return NextResponse.redirect(url)
  }

  const headers = new Headers(request.headers)
  headers.set('x-user-id', session.userId)
  headers.set('x-user-roles', session.roles.join(',') || 'none')
  return NextResponse.next({ request: { headers } })
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
}
