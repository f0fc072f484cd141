/**
 * Time units and the hourly bucket, one definition for every feature. Times are epoch
 * milliseconds everywhere; an hour bucket is named by the millisecond its hour starts at
 * (UTC, since epoch hours do not know time zones), so a bucket is the same number in
 * SQLite, DuckDB and the API.
 */

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS

/** The start of the hour that contains `ms`. */
export const hourBucket = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS
