import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The provider types each channel takes (SPEC section 13). */
export const PROVIDER_TYPES = {
  sms: ['log', 'smpp', 'webhook', 'twilio', 'vonage', 'plivo', 'telnyx', 'infobip', 'sns'],
  call: ['log', 'webhook', 'twilio', 'vonage'],
  email: ['log', 'smtp', 'ses'],
} as const;

export type ProviderChannel = keyof typeof PROVIDER_TYPES;

/**
 * Names that stay the callback paths of the single-provider settings (`/2fa/callbacks/sms`,
 * `/2fa/callbacks/call`), so an entry may not take them.
 */
const RESERVED_NAMES = ['sms', 'call', 'email'];

const Circuit = z
  .object({
    /** Transient failures within the window that open the circuit. */
    failures: z.number().int().min(1).max(1000).default(5),
    windowSeconds: z.number().int().min(1).max(86_400).default(60),
    /** How long an open circuit is skipped before one probe is let through. */
    openSeconds: z.number().int().min(1).max(86_400).default(30),
  })
  .strict();

const Entry = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,64}$/,
        'must be 1–64 letters, digits, - or _ (it is a URL path segment and a NATS token)',
      )
      .optional(),
    type: z.string(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be ISO 3166-1 alpha-2 codes in capitals, like "GB"'))
      .min(1)
      .optional(),
    baseUrl: z
      .string()
      .refine((v) => /^https?:$/.test(safeProtocol(v)), 'must be an http:// or https:// URL')
      .optional(),
    circuit: Circuit.optional(),
  })
  .passthrough();

/**
 * One provider of a channel, as the providers file gives it. The fields of its type
 * (credentials, sender, region…) are checked by the dispatcher that builds it; credentials
 * are secrets and are never logged or put into events.
 */
export interface ProviderEntry {
  readonly name: string;
  readonly type: string;
  readonly countries?: readonly string[];
  readonly baseUrl?: string;
  readonly circuit: { readonly failures: number; readonly windowSeconds: number; readonly openSeconds: number };
  /** Everything else the entry holds, for its type to read (`${NAME}` values resolved). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Fields whose `${NAME}` names a variable that is not set: field → NAME. */
  readonly unresolved?: Readonly<Record<string, string>>;
}

export type ProvidersFile = Readonly<Partial<Record<ProviderChannel, readonly ProviderEntry[]>>>;

export const DEFAULT_CIRCUIT = Object.freeze({ failures: 5, windowSeconds: 60, openSeconds: 30 });

function resolved({ settings, unresolved }: ReturnType<typeof resolveSettings>) {
  return {
    settings: Object.freeze(settings),
    ...(Object.keys(unresolved).length ? { unresolved: Object.freeze(unresolved) } : {}),
  };
}

function safeProtocol(v: string): string {
  try {
    return new URL(v).protocol;
  } catch {
    return '';
  }
}

/** Thrown with a message that names where in the file the problem is. */
export class ProvidersFileError extends Error {}

/**
 * Reads and checks PROVIDERS_FILE: JSON, or YAML when the name ends in .yaml/.yml (YAML is a
 * superset of JSON, so either parses). Per channel an ordered list of entries; names default
 * to the type and are unique across the file (each owns `/2fa/callbacks/{name}`).
 */
export function loadProvidersFile(path: string, env: Readonly<Record<string, string | undefined>> = {}): ProvidersFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ProvidersFileError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}: ${path})`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ProvidersFileError(
      `is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
  return parseProviders(raw, env);
}

/** A setting whose whole value is `${NAME}`: the environment variable NAME's value. */
const ENV_REFERENCE = /^\$\{([A-Z_][A-Z0-9_]*)\}$/;

/**
 * An entry's settings with every `${NAME}` value taken from the environment, so that the file
 * can say where a credential is (a Kubernetes Secret's variable) without holding it: the file
 * may then live in a ConfigMap. A variable that is not set leaves its field out and is listed
 * in `unresolved`: the gateway, which reads only names, runs without the dispatchers'
 * secrets; the dispatcher that builds the entry stops at start naming the variable.
 */
function resolveSettings(
  raw: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): { settings: Record<string, unknown>; unresolved: Record<string, string> } {
  const settings: Record<string, unknown> = {};
  const unresolved: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = typeof value === 'string' ? ENV_REFERENCE.exec(value)?.[1] : undefined;
    if (name === undefined) settings[key] = value;
    else if (env[name] === undefined || env[name] === '') unresolved[key] = name;
    else settings[key] = env[name];
  }
  return { settings, unresolved };
}

export function parseProviders(raw: unknown, env: Readonly<Record<string, string | undefined>> = {}): ProvidersFile {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ProvidersFileError('must be an object with a list per channel ("sms", "call", "email")');
  const out: Partial<Record<ProviderChannel, ProviderEntry[]>> = {};
  const seen = new Map<string, string>();
  for (const [channel, list] of Object.entries(raw as Record<string, unknown>)) {
    if (!(channel in PROVIDER_TYPES))
      throw new ProvidersFileError(`has an unknown channel "${channel}" (expected sms, call or email)`);
    const c = channel as ProviderChannel;
    if (!Array.isArray(list) || list.length === 0)
      throw new ProvidersFileError(`${c} must be a non-empty list of providers`);
    out[c] = list.map((item, i) => {
      const where = `${c}[${i}]`;
      const parsed = Entry.safeParse(item);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue.path.length ? `.${issue.path.join('.')}` : '';
        throw new ProvidersFileError(`${where}${field} ${issue.message}`);
      }
      const { name: givenName, type, countries, baseUrl, circuit, ...settings } = parsed.data;
      const types: readonly string[] = PROVIDER_TYPES[c];
      if (!types.includes(type))
        throw new ProvidersFileError(`${where}.type "${type}" does not serve ${c} (one of: ${types.join(', ')})`);
      if (countries && c === 'email')
        throw new ProvidersFileError(`${where}.countries is for sms and call (an email address has no country)`);
      const name = givenName ?? type;
      if (RESERVED_NAMES.includes(name))
        throw new ProvidersFileError(`${where}.name "${name}" is reserved (the single-provider callback paths)`);
      const other = seen.get(name);
      if (other)
        throw new ProvidersFileError(
          `${where}.name "${name}" is also ${other}: names are unique across the file (give each entry its own "name")`,
        );
      seen.set(name, where);
      return Object.freeze({
        name,
        type,
        countries,
        baseUrl: baseUrl?.replace(/\/+$/, ''),
        circuit: { ...DEFAULT_CIRCUIT, ...circuit },
        ...resolved(resolveSettings(settings, env)),
      });
    });
  }
  return Object.freeze(out);
}
