import { NextResponse } from 'next/server'
import type { NextRequest } from 'next/server'
import { verify, type Claims } from './lib/tokens'

const SECRET = 'corpus-secret'

function bearer(req: NextRequest): string | undefined {
  return req.headers.get('authorization')?.match(/^Bearer (.+)$/)?.[1]
}

function unauthorized(reason: string) {
  return NextResponse.json({ error: 'unauthorized', reason }, { status: 401 })
}

// default export, async, await inside call arguments
export default async function middleware(request: NextRequest) {
  const token = bearer(request) ?? request.cookies.get('token')?.value
  if (!token) return unauthorized('missing token')

  const claims: Claims | null = await verify(token, SECRET)
  if (!claims) return unauthorized(String(await Promise.resolve('bad token')))

  const headers = new Headers(request.headers)
  headers.set('x-user', claims.sub)
  headers.delete('authorization')
  const response = NextResponse.next({ request: { headers } })
  response.headers.set('x-auth', `ok:${claims.sub}`)
  return response
}

export const config = { matcher: '/api/:path*' }
