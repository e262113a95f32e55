// country-based redirect with an allow list, in plain JavaScript
import { NextResponse } from 'next/server'

const REGIONS = new Map([
  ['eu', ['DE', 'FR', 'IT', 'ES', 'NL']],
  ['apac', ['JP', 'AU', 'SG']],
])

function regionOf(country) {
  for (const [region, countries] of REGIONS) {
    if (countries.includes(country)) return region
  }
  return null
}

export function middleware(request) {
  const country = (request.headers.get('x-vercel-ip-country') || '').toUpperCase()
  const region = regionOf(country)
  if (!region) {
    return NextResponse.json({ country: country || null, region: 'default' }, { headers: { 'x-region': 'default' } })
  }
  const target = new URL(`/${region}${request.nextUrl.pathname}`, request.url)
  target.search = request.nextUrl.search
  return NextResponse.redirect(target, 302)
}

export const config = { matcher: '/shop/:path*' }
