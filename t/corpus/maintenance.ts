import { NextResponse, type NextRequest } from 'next/server'

const MAINTENANCE = true
const BYPASS_COOKIE = 'maintenance-bypass'
// Web globals at the top level, before any request
const STATUS_PAGE = new URL('/incidents?src=maintenance', 'https://status.example.com')
const RETRY_AFTER = new URLSearchParams('after=600').get('after') ?? '60'

const page = (path: string) => `<!doctype html>
<title>Down for maintenance</title>
<h1>We'll be back soon</h1>
<p>${path} is unavailable while we upgrade.</p>`

export function middleware(request: NextRequest): NextResponse | undefined {
  if (!MAINTENANCE) return
  if (request.cookies.has(BYPASS_COOKIE)) return NextResponse.next()

  if (request.nextUrl.pathname.startsWith('/api/')) {
    return NextResponse.json(
      { error: 'maintenance', status: STATUS_PAGE.href },
      { status: 503, headers: { 'retry-after': RETRY_AFTER } },
    )
  }
  const res = new NextResponse(page(request.nextUrl.pathname), {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8', 'retry-after': RETRY_AFTER, link: `<${STATUS_PAGE.href}>; rel="status"` },
  })
  res.headers.append('cache-control', 'no-store')
  res.headers.append('cache-control', 'must-revalidate')
  return res
}

export const config = {
  matcher: [{ source: '/((?!status|_next).*)', missing: [{ type: 'header', key: 'x-health-check' }] }],
}
