import { NextResponse, userAgent, type NextRequest } from 'next/server'

export function middleware(request: NextRequest) {
  const { isBot, browser, device, os, engine, cpu, ua } = userAgent(request)

  if (request.nextUrl.pathname === '/ua') {
    return NextResponse.json({ isBot, browser, device, os, engine, cpu, ua })
  }

  if (isBot) {
    return new NextResponse('No bots, please', { status: 403 })
  }

  const viewport = device.type === 'mobile' ? 'mobile' : 'desktop'
  request.nextUrl.searchParams.set('viewport', viewport)
  return NextResponse.rewrite(request.nextUrl)
}
