import { NextResponse, after, type NextRequest, type NextFetchEvent } from 'next/server'

const log: string[] = []

async function report(path: string, status: number): Promise<void> {
  await Promise.resolve()
  log.push(`${path}:${status}`)
}

export async function middleware(request: NextRequest, event: NextFetchEvent) {
  const started = Date.now()
  const id = request.headers.get('x-request-id') ?? crypto.randomUUID()
  console.log('request %s %s', request.method, request.nextUrl.pathname, { id })
  console.info('headers', Object.fromEntries([...request.headers].filter(([k]) => k.startsWith('x-'))))

  let order: string[] = []
  queueMicrotask(() => order.push('microtask'))
  order.push('sync')
  await null
  order = [...order, 'after-await']

  if (request.nextUrl.pathname === '/fail') {
    console.error('failing on purpose')
    return NextResponse.json({ ok: false }, { status: 500 })
  }
  if (request.nextUrl.pathname === '/slow') console.warn('slow path', Date.now() - started >= 0)
  console.debug('debugging', [1, 2, 3])

  event.waitUntil(report(request.nextUrl.pathname, 200))
  after(() => report('after', 0))

  const res = NextResponse.next()
  res.headers.set('x-request-id', /^[0-9a-f-]{36}$/.test(id) ? 'uuid' : id)
  res.headers.set('x-order', order.join(','))
  return res
}
