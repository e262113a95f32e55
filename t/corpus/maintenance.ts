import { NextResponse, type NextRequest } from 'next/server'

const MAINTENANCE = true
const BYPASS_COOKIE = 'maintenance-bypass'

const page = (path: string) => `<!doctype html>
<title>Down for maintenance</title>
<h1>We'll be back soon</h1>
<p>${path} is unavailable while we upgrade.</p>`

export function middleware(request: NextRequest): NextResponse | undefined {
  if (!MAINTENANCE) return
  if (request.cookies.has(BYPASS_COOKIE)) return NextResponse.next()

  if (request.nextUrl.pathname.startsWith('/api/')) {
    return NextResponse.json({ error: 'maintenance' }, { status: 503, headers: { 'retry-after': '600' } })
  }
  const res = new NextResponse(page(request.nextUrl.pathname), {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'retry-after': '600' },
  })
  res.headers.append('cache-control', 'no-store')
  res.headers.append('cache-control', 'must-revalidate')
  return res
}

export const config = {
  matcher: [{ source: '/((?!status|_next).*)', missing: [{ type: 'header', key: 'x-health-check' }] }],
}
