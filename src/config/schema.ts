/**
 * The one configuration schema. Every key has a default and a comment saying why the
 * default is what it is. `load.ts` is the only reader of files and the environment; the
 * rest of the program receives a validated `Config` object.
 *
 * Unknown keys are rejected (additionalProperties: false) so that a typo in config.toml or
 * in a BLOOP__ variable stops startup with the key named instead of being silently ignored.
 */
import { type Static, Type as T } from '@sinclair/typebox'

const Section = <P extends Parameters<typeof T.Object>[0]>(props: P) =>
  T.Object(props, { additionalProperties: false, default: {} })

const Int = (description: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  T.Integer({ description, default: def, minimum: min, maximum: max })

export const ConfigSchema = T.Object(
  {
    server: Section({
      host: T.String({
        description: 'Listen on every interface: bloop is usually the only service on a small VPS.',
        default: '0.0.0.0',
      }),
      port: Int("5332 is bloop's registered default; 0 picks a free port (tests).", 5332, 0, 65535),
      trusted_proxies: T.Array(T.String(), {
        description: 'Reverse proxies whose X-Forwarded-For is believed; anyone else could forge it.',
        default: [],
      }),
    }),
    database: Section({
      path: T.String({
        description:
          'Relative paths resolve against the working directory; the folder is the data directory.',
        default: 'data/bloop.db',
        minLength: 1,
      }),
      pool_size: Int(
        'PostgreSQL: connections in the pool; 4 leaves most of a small machine to bloop itself. SQLite ignores it: reads use one connection and writes the single writer thread (kept so config files written for the Rust version still load).',
        4,
        1,
        64,
      ),
      url: T.String({
        description:
          'Empty: SQLite at database.path. postgres://user:password@host:5432/db selects PostgreSQL (README, "PostgreSQL"); the data directory (database.path) still holds the HMAC secret and the lock.',
        default: '',
      }),
      statement_timeout_ms: Int(
        'PostgreSQL: a statement running longer is cancelled by the server. 30 s is far above any query bloop makes and stops a runaway one holding a connection.',
        30000,
        0,
        3_600_000,
      ),
      connect_timeout_secs: Int(
        'PostgreSQL: how long to wait for a new connection before startup fails or a request is answered 503.',
        10,
        1,
        300,
      ),
      tls: T.Union(
        [
          T.Literal('disable'),
          T.Literal('prefer'),
          T.Literal('require'),
          T.Literal('verify-ca'),
          T.Literal('verify-full'),
        ],
        {
          description:
            'PostgreSQL: the sslmode of libpq. prefer uses TLS when the server offers it; verify-full for a database across a network you do not control.',
          default: 'prefer',
        },
      ),
      tls_ca_file: T.String({
        description:
          'PostgreSQL: a PEM file of the CA that signed the certificate of the server (managed databases publish one); empty: the CAs of the system.',
        default: '',
      }),
    }),
    ingest: Section({
      max_payload_bytes: Int(
        '32 KB fits any real error report; larger bodies are almost always a bug or abuse.',
        32768,
        1024,
        16 * 1024 * 1024,
      ),
      max_stack_bytes: Int('8 KB keeps ~100 frames, more than anyone reads.', 8192, 1, 1024 * 1024),
      max_metadata_bytes: Int('4 KB of compact JSON: context, not a data dump.', 4096, 1, 1024 * 1024),
      max_message_bytes: Int(
        '2 KB: messages longer than that are not read by humans either.',
        2048,
        1,
        1024 * 1024,
      ),
      max_batch_size: Int(
        '100: the Python and Ruby SDKs flush up to 100 events in one request.',
        100,
        1,
        10000,
      ),
      max_batch_bytes: Int(
        'Body cap of a batch request. 4 MiB holds 100 events at the 32 KB per-event cap (3.2 MB), and each event in a batch is still held to max_payload_bytes. The ceiling bounds what one request may make the server hold in memory.',
        4 * 1024 * 1024,
        1024,
        64 * 1024 * 1024,
      ),
      channel_capacity: Int(
        'Events waiting for the writer. 8192 absorbs a multi-second burst at full speed while bounding memory to a few MB; beyond it clients get 429 and back off.',
        8192,
        1,
        1_000_000,
      ),
    }),
    pipeline: Section({
      flush_interval_secs: Int(
        'Accepted for compatibility; the writer group-commits as soon as it is free, so no timer is needed (an idle server acknowledges in about a millisecond).',
        2,
        0,
        3600,
      ),
      flush_batch_size: Int(
        'Upper bound on events per transaction: large enough to amortise the commit, small enough that one transaction never holds the write lock for long.',
        500,
        1,
        100000,
      ),
      sample_reservoir_size: Int(
        'Newest N events kept per issue as samples: enough to see variation.',
        5,
        1,
        1000,
      ),
    }),
    retention: Section({
      raw_events_days: Int('A week of raw events answers "what happened since the last deploy".', 7, 1, 3650),
      hourly_counts_days: Int(
        'Hourly counts are tiny and make the 90-day trend charts possible.',
        90,
        1,
        3650,
      ),
      prune_interval_secs: Int('Hourly pruning keeps each pass small.', 3600, 10, 7 * 86400),
      prune_batch_size: Int(
        'Rows deleted per transaction while pruning: small enough that ingest never waits long.',
        2000,
        10,
        1_000_000,
      ),
    }),
    auth: Section({
      hmac_secret: T.String({
        description: 'Empty: a secret is generated on first run and kept in the data directory.',
        default: '',
      }),
      rp_id: T.String({
        description: 'WebAuthn relying party: must be the host name users type in the browser.',
        default: 'localhost',
        minLength: 1,
      }),
      rp_origin: T.String({
        description: 'Exact origin of the dashboard; passkeys are bound to it.',
        default: 'http://localhost:5332',
        minLength: 1,
      }),
      session_ttl_secs: Int(
        'A week: long enough not to annoy, short enough to limit a stolen cookie.',
        604800,
        60,
        365 * 86400,
      ),
    }),
    rate_limit: Section({
      per_second: Int(
        'Sustained requests per second per client IP on ingest; a busy mobile fleet behind one NAT stays well under it.',
        100,
        1,
        1_000_000,
      ),
      burst_size: Int(
        'Requests a client may send at once before the sustained rate applies.',
        200,
        1,
        1_000_000,
      ),
      auth_per_second: Int(
        'Sign-in is rare; 5/s with a burst of 10 stops guessing without hurting humans.',
        5,
        1,
        10000,
      ),
      auth_burst_size: Int('Sign-in attempts allowed at once per client IP.', 10, 1, 10000),
    }),
    alerting: Section({
      cooldown_secs: Int(
        '15 minutes between alerts for the same rule and issue: one page per incident.',
        900,
        0,
        30 * 86400,
      ),
      allow_private_urls: T.Boolean({
        description: 'Webhooks to private or loopback addresses are refused (SSRF); intranets opt in.',
        default: false,
      }),
      delivery_timeout_secs: Int('A slow receiver must not hold deliveries forever.', 10, 1, 120),
      retry_backoff_ms: Int(
        'Wait before the second attempt (the third waits four times as long): 1 s rides over a receiver restart without holding an alert back for long.',
        1000,
        0,
        60000,
      ),
      slack_webhook_url: T.String({
        description:
          'Slack incoming webhook for rules that have no channel (BLOOP_SLACK_WEBHOOK_URL sets it too); empty: no fallback, since nothing should be posted to an unknown place.',
        default: '',
      }),
      webhook_url: T.String({
        description:
          'Generic webhook for rules that have no channel (BLOOP_WEBHOOK_URL sets it too); empty: no fallback.',
        default: '',
      }),
    }),
    smtp: Section({
      enabled: T.Boolean({
        description: 'Email alerts are off until an SMTP relay is configured.',
        default: false,
      }),
      host: T.String({ description: 'SMTP relay host name.', default: 'smtp.example.com' }),
      port: Int('587 is the submission port with STARTTLS.', 587, 1, 65535),
      username: T.String({ description: 'SMTP login; empty for relays that need none.', default: '' }),
      password: T.String({
        description: 'SMTP password; prefer BLOOP__SMTP__PASSWORD over writing it here.',
        default: '',
      }),
      from: T.String({ description: 'Sender address of alert emails.', default: 'bloop@example.com' }),
      starttls: T.Boolean({
        description: 'true: upgrade with STARTTLS; false: implicit TLS (port 465) or a plain local relay.',
        default: true,
      }),
    }),
    sourcemaps: Section({
      max_bytes: Int(
        '5 MB fits the maps of a large single-page app bundle.',
        5 * 1024 * 1024,
        1024,
        512 * 1024 * 1024,
      ),
      cache_bytes: Int(
        'Parsed maps kept in memory for symbolication; bounded for a 1 GB VPS.',
        64 * 1024 * 1024,
        0,
        4 * 1024 * 1024 * 1024,
      ),
      parse_timeout_ms: Int(
        "Time one map may take to parse, on its own thread, before that thread is terminated and the upload refused (400). A 4.5 MB bundle map parses in ~150 ms; 10 s leaves room for a busy one-core VPS, while a map crafted for source-map-js's slow case (many mappings at one position, minutes of sorting) is stopped early.",
        10_000,
        100,
        600_000,
      ),
      max_mappings: Int(
        'Mapping segments one map may hold: a 4.5 MB bundle map has ~230k; 1 M allows four times that and bounds a parsed map to ~100 MB of heap (about 100 bytes each).',
        1_000_000,
        1,
        100_000_000,
      ),
    }),
    sentry: Section({
      max_envelope_bytes: Int(
        'Request body as received (compressed or not). A Sentry error envelope is 5-50 KB; 1 MB leaves room for small attachments (accepted, ignored) and bounds memory per request.',
        1024 * 1024,
        1024,
        64 * 1024 * 1024,
      ),
      max_decompressed_bytes: Int(
        'Body after Content-Encoding is undone: room for a 1 MB envelope of text compressed 4:1, and where a decompression bomb is stopped instead of expanded.',
        4 * 1024 * 1024,
        1024,
        256 * 1024 * 1024,
      ),
      decompression_budget_bytes: Int(
        'Memory all compressed bodies being inflated at one moment may hold, inflater windows included; past it requests get 429 and Retry-After. 64 MB keeps 190 concurrent bombs under 300 MB of RSS on a 1 GB VPS, and still fits ~340 gzip envelopes (192 KB each) or 15 brotli ones (a 4 MB window each) inflating at the same instant, far more than one core inflates in the milliseconds each takes.',
        64 * 1024 * 1024,
        1024 * 1024,
        4 * 1024 * 1024 * 1024,
      ),
    }),
    analytics: Section({
      enabled: T.Boolean({
        description: 'Runtime switch; a slim build has no DuckDB at all.',
        default: true,
      }),
      cache_ttl_secs: Int(
        'A minute: dashboards poll, statistics over days barely move in a minute.',
        60,
        0,
        86400,
      ),
      zscore_threshold: T.Number({
        description: '2.5 standard deviations: rare enough to matter, common enough to see.',
        default: 2.5,
        minimum: 0,
      }),
      spike_min_count: Int('An hour with fewer events than this is never called a spike.', 5, 0),
      min_correlation: T.Number({
        description: 'Pairs below this Pearson r are noise for a human reader.',
        default: 0.7,
        minimum: -1,
        maximum: 1,
      }),
      memory_limit: T.String({
        description: 'DuckDB working memory; leaves room for SQLite and Bun on a 1 GB VPS.',
        default: '256MB',
      }),
      threads: Int('One thread: analytics must not starve ingest on a 1-2 core machine.', 1, 1, 64),
      sync_interval_ms: Int(
        'The DuckDB copy is fed at most once a second: one small transaction per second costs ingest little, and hourly statistics do not need fresher data. 0 feeds after every commit.',
        1000,
        0,
        3_600_000,
      ),
      correlation_max_fingerprints: Int(
        'Correlations compare every pair, so only the 200 busiest fingerprints take part (19,900 pairs, well under 200 ms); the rest are rarely the story.',
        200,
        2,
        5000,
      ),
      native_dir: T.String({
        description:
          'Where the executable writes the DuckDB library it carries before loading it; empty means <data dir>/.cache. Set it if the data directory is mounted noexec.',
        default: '',
      }),
    }),
    llm_tracing: Section({
      enabled: T.Boolean({
        description:
          'LLM tracing: trace ingest (/v1/traces), the LLM query API and the rules built on them. false serves none of its routes (404) while keeping stored data.',
        default: true,
      }),
      channel_capacity: Int('Traces waiting for the writer.', 4096, 1),
      flush_interval_secs: Int('Accepted for compatibility (group commit needs no timer).', 2, 0),
      flush_batch_size: Int('Upper bound on traces per transaction.', 200, 1),
      commit_delay_ms: Int(
        'Under load (the previous trace commit ended less than this long ago), a transaction waits until its oldest trace is this old, so many single-trace requests share one commit; a trace arriving at a quiet server is committed at once. 0 turns it off.',
        5,
        0,
        1000,
      ),
      max_spans_per_trace: Int('A trace with more spans is refused.', 100, 1),
      max_batch_size: Int('Traces per batch request.', 50, 1),
      proxy: Section({
        openai_base_url: T.String({
          description:
            "Where /v1/proxy/openai/* goes: OpenAI's API root, /v1 included, as the OpenAI SDKs' own default base URL.",
          default: 'https://api.openai.com/v1',
          minLength: 1,
        }),
        anthropic_base_url: T.String({
          description:
            "Where /v1/proxy/anthropic/* goes: Anthropic's API root without /v1, as the Anthropic SDKs' own default base URL (their paths start with /v1).",
          default: 'https://api.anthropic.com',
          minLength: 1,
        }),
        upstreams: T.Record(T.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }), T.String({ minLength: 1 }), {
          description:
            'OpenAI-compatible upstreams by name (groq = "https://api.groq.com/openai/v1"): /v1/proxy/<name>/* goes to the URL, traced as OpenAI calls. None by default: bloop never guesses where to send a key.',
          default: {},
        }),
        stream_usage: T.Boolean({
          description:
            'A streamed OpenAI-style chat reports its token usage only when asked (stream_options.include_usage); true asks for it when the client did not, and hides the extra chunk from the client. false for an upstream that refuses the option: such streams then have unknown usage and cost.',
          default: true,
        }),
        allow_anonymous: T.Boolean({
          description:
            "false: a proxied call must name its project (X-Bloop-Key), so an open port cannot spend anyone's quota through bloop unseen. true puts calls without it in the default project.",
          default: false,
        }),
        max_body_bytes: Int(
          'Request body cap: requests carry images and PDF documents, which providers accept up to tens of MiB; 20 MiB covers common use while bounding what one request may hold in memory.',
          20 * 1024 * 1024,
          1024,
          512 * 1024 * 1024,
        ),
        timeout_secs: Int(
          "Longest wait for the upstream's answer to begin, and between two of its chunks: ten minutes, the OpenAI and Anthropic SDKs' own default timeout, since a long reasoning call is silent until its first token.",
          600,
          1,
          86_400,
        ),
      }),
      default_content_storage: T.Union([T.Literal('none'), T.Literal('metadata_only'), T.Literal('full')], {
        description: 'Prompts and completions are not stored unless a project opts in.',
        default: 'none',
      }),
      cache_ttl_secs: Int('Query result cache lifetime.', 30, 0),
      max_payload_bytes: Int(
        'Body cap of a trace request (one trace or a batch). Traces carry prompts and completions, so 1 MiB, well above the 32 KB of an error event; the ceiling bounds what one request may make the server hold.',
        1024 * 1024,
        1024,
        64 * 1024 * 1024,
      ),
      max_content_bytes: Int(
        'Per content field (input, output, metadata, error message): 64 KiB keeps a long prompt readable while bounding a trace row; longer text is cut with a visible marker, never refused.',
        64 * 1024,
        256,
        16 * 1024 * 1024,
      ),
      retention_days: Int(
        'Traces and spans (and their rollups) are kept 30 days: a month of cost and latency history; a project may override it.',
        30,
        1,
        3650,
      ),
      errors_as_issues: T.Boolean({
        description:
          'A span with status error also becomes an error event (source llm), so failing model calls are issues with alerts and regressions like any other error.',
        default: true,
      }),
    }),
    llm_otlp: Section({
      max_body_bytes: Int(
        'Cap of an OTLP trace export, as sent and after gzip is undone: an exporter sends up to 512 spans per request (the batch processor default), which with prompts and completions reaches a few MB; 8 MiB leaves room and bounds what one request makes the server hold.',
        8 * 1024 * 1024,
        1024,
        256 * 1024 * 1024,
      ),
    }),
    log: Section({
      level: T.Union([T.Literal('debug'), T.Literal('info'), T.Literal('warn'), T.Literal('error')], {
        description: 'info: startup, shutdown, failures and warnings; debug adds one line per request.',
        default: 'info',
      }),
      format: T.Union([T.Literal('auto'), T.Literal('json'), T.Literal('text')], {
        description:
          'auto: plain text when stdout is a terminal (commands in it can be copied as shown), JSON lines otherwise (journald, Docker, log shippers).',
        default: 'auto',
      }),
    }),
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>
