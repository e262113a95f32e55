// CORS for an API with credentials; preflight answered with 204
import { NextResponse } from 'next/server'

const ALLOWED = /^https:\/\/([a-z0-9-]+\.)?example\.com$/

function corsHeaders(origin) {
  const h = new Headers({ vary: 'Origin' })
  if (origin && ALLOWED.test(origin)) {
    h.set('access-control-allow-origin', origin)
    h.set('access-control-allow-credentials', 'true')
  }
  return h
}

export default async function cors(request) {
  const origin = request.headers.get('origin')
  const headers = corsHeaders(origin)

  if (request.method === 'OPTIONS') {
    headers.set('access-control-allow-methods', 'GET,POST')
    headers.set('access-control-max-age', String(60 * 10))
    return new Response(null, { status: 204, headers })
  }

  if (origin && !headers.has('access-control-allow-origin')) {
    return NextResponse.json({ error: `origin ${origin} not allowed` }, { status: 403, headers })
  }

  const res = NextResponse.next()
  headers.forEach((value, key) => res.headers.set(key, value))
  return res
}

export const config = { matcher: ['/api/:path*'] }
