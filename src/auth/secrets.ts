/**
 * Random bearer secrets (session cookies, invite tokens) and the hash they are stored
 * under. Only the SHA-256 reaches the database, so a copy of it grants nothing; lookups
 * go through the hash index, so their timing says nothing about a guessed secret.
 */
import { createHash, randomBytes } from 'node:crypto'

/** 32 random bytes, base64url without padding: 43 characters. */
export const newSecret = (): string => randomBytes(32).toString('base64url')
export const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/
export const sha256hex = (s: string): string => createHash('sha256').update(s).digest('hex')
