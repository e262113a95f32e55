export interface Session {
  userId: string
  roles: string[]
}

export const PUBLIC_PATHS = ['/login', '/api/health']

export function parseSession(raw: string | undefined): Session | null {
  if (!raw) return null
  const [userId, ...roles] = raw.split('.')
  return userId ? { userId, roles } : null
}
