import type { Channel } from '@app/contracts';
import { type AppConfig, ConfigError, type ProviderEntry } from '@app/platform';
import type { z } from 'zod';
import type { ChannelProvider } from './provider';

/** What a provider of the providers file is built from. */
export interface ProviderContext {
  channel: Channel;
  entry: ProviderEntry;
  config: AppConfig;
  /** One call's time limit (PROVIDER_TIMEOUT_MS). */
  timeoutMs: number;
  /** `<PUBLIC_URL>/2fa/callbacks/<name>`: where the vendor reports; undefined without PUBLIC_URL. */
  callbackUrl?: string;
}

export type ProviderFactory = (ctx: ProviderContext) => ChannelProvider;
export type ProviderFactories = Readonly<Record<string, ProviderFactory>>;

/** The entry's own settings, checked against its type's schema; a problem names entry and field. */
export function settingsOf<T extends z.ZodType>(schema: T, ctx: ProviderContext): z.infer<T> {
  const [unresolved, variable] = Object.entries(ctx.entry.unresolved ?? {})[0] ?? [];
  if (variable)
    throw new ConfigError(
      'PROVIDERS_FILE',
      `${ctx.channel} provider "${ctx.entry.name}" (${ctx.entry.type}): ${unresolved} names \${${variable}}, which is not set in the environment`,
    );
  const parsed = schema.safeParse(ctx.entry.settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.join('.') || 'settings';
  throw new ConfigError(
    'PROVIDERS_FILE',
    `${ctx.channel} provider "${ctx.entry.name}" (${ctx.entry.type}): ${field} ${issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message}`,
  );
}

/** A provider of our own kind (log, smpp, smtp) under its providers-file entry's name. */
export function renamed<T extends ChannelProvider>(provider: T, name: string): T {
  Object.defineProperty(provider, 'name', { value: name, enumerable: true });
  return provider;
}
