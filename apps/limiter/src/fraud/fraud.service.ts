import { Inject, Injectable } from '@nestjs/common';
import {
  type AddSafeListEntryCommand,
  DomainError,
  ErrorCode,
  type FraudBlockData,
  type FraudBlockQuery,
  type FraudSettingsData,
  type FraudSettingsQuery,
  formatTimestamp,
  type GeoPermissionData,
  newId,
  type SafeListEntryData,
  type SafeListEntryQuery,
  type UpdateFraudSettingsCommand,
  type UpdateGeoPermissionCommand,
} from '@app/contracts';
import { APP_CONFIG, type AppConfig, Clock } from '@app/platform';
import { FraudPolicies } from './fraud-policies';
import { FraudStore, type StoredBlock } from './fraud-store';
import { FraudRepository, type SafeListRow } from './fraud.repository';

/** `fraud.v1.*` (SPEC 12): settings, geo permissions, safe list, active blocks and unblock. */
@Injectable()
export class FraudService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: FraudRepository,
    private readonly policies: FraudPolicies,
    private readonly store: FraudStore,
    private readonly clock: Clock,
  ) {}

  async settings(query: FraudSettingsQuery): Promise<FraudSettingsData> {
    return await this.settingsOf(query.accountSid);
  }

  async updateSettings(command: UpdateFraudSettingsCommand): Promise<FraudSettingsData> {
    const current = await this.settingsOf(command.accountSid);
    await this.policies.change(command.accountSid, () =>
      this.repository.saveSettings({
        accountSid: command.accountSid,
        mode: command.mode ?? current.mode,
        level: command.level ?? current.level,
        allowBypass: command.allowBypass ?? current.allowBypass,
        updatedAt: this.clock.now(),
      }),
    );
    return await this.settingsOf(command.accountSid);
  }

  async geoPermissions(query: FraudSettingsQuery): Promise<GeoPermissionData[]> {
    const own = await this.repository.geoPermissions(query.accountSid);
    const listed = new Set(own.map((g) => g.countryCode));
    const defaults = this.config.fraud.defaultBlockedCountries
      .filter((c) => !listed.has(c))
      .map((countryCode) => ({ countryCode, sms: 'block', call: 'block', source: 'default' }) as const);
    const data: GeoPermissionData[] = [...own.map((g) => ({ ...g, source: 'account' as const })), ...defaults];
    return data.sort((a, b) => (a.countryCode < b.countryCode ? -1 : 1));
  }

  async updateGeoPermission(command: UpdateGeoPermissionCommand): Promise<GeoPermissionData> {
    if (command.sms === undefined && command.call === undefined)
      throw new DomainError(ErrorCode.BadRequest, 'sms or call is required (allow or block)', { field: 'sms' });
    const policy = await this.policies.get(command.accountSid);
    const row = {
      countryCode: command.countryCode,
      sms: command.sms ?? this.policies.permission(policy, command.countryCode, 'sms'),
      call: command.call ?? this.policies.permission(policy, command.countryCode, 'call'),
    };
    await this.policies.change(command.accountSid, () =>
      this.repository.saveGeoPermission(command.accountSid, row, this.clock.now()),
    );
    return { ...row, source: 'account' };
  }

  async safeList(query: FraudSettingsQuery): Promise<SafeListEntryData[]> {
    const rows = await this.repository.safeList(query.accountSid, this.clock.now());
    return rows.map(safeListData);
  }

  async addSafeListEntry(command: AddSafeListEntryCommand): Promise<SafeListEntryData> {
    const now = this.clock.now();
    const expiresAt =
      command.ttl !== undefined
        ? new Date(now.getTime() + command.ttl * 1000)
        : command.expiresAt !== undefined
          ? new Date(command.expiresAt)
          : null;
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      throw new DomainError(ErrorCode.BadRequest, 'expiresAt must be in the future', { field: 'expiresAt' });
    const row: SafeListRow = {
      id: newId('fraudSafeList'),
      accountSid: command.accountSid,
      kind: command.number !== undefined ? 'number' : 'prefix',
      value: (command.number ?? command.prefix)!,
      description: command.description ?? null,
      createdAt: now,
      expiresAt,
    };
    await this.policies.change(command.accountSid, () => this.repository.addSafeListEntry(row));
    return safeListData(row);
  }

  async deleteSafeListEntry(query: SafeListEntryQuery): Promise<SafeListEntryData> {
    const row = await this.policies.change(query.accountSid, () =>
      this.repository.deleteSafeListEntry(query.accountSid, query.id, this.clock.now()),
    );
    if (!row) throw new DomainError(ErrorCode.UnknownFraudEntry);
    return safeListData(row);
  }

  async blocks(query: FraudSettingsQuery): Promise<FraudBlockData[]> {
    const blocks = await this.store.blocks(query.accountSid, this.clock.now().getTime());
    return blocks.map((b) => blockData(query.accountSid, b));
  }

  async unblock(query: FraudBlockQuery): Promise<FraudBlockData> {
    const block = await this.store.unblock(query.accountSid, query.id);
    if (!block || block.untilMs <= this.clock.now().getTime()) throw new DomainError(ErrorCode.UnknownFraudEntry);
    return blockData(query.accountSid, block);
  }

  private async settingsOf(accountSid: string): Promise<FraudSettingsData> {
    const row = await this.repository.settings(accountSid);
    return {
      accountSid,
      mode: row?.mode ?? this.config.fraud.defaultMode,
      level: row?.level ?? this.config.fraud.defaultLevel,
      allowBypass: row?.allowBypass ?? false,
      defaultBlockedCountries: [...this.config.fraud.defaultBlockedCountries],
      dateUpdated: row ? formatTimestamp(row.updatedAt) : null,
    };
  }
}

function safeListData(r: SafeListRow): SafeListEntryData {
  return {
    id: r.id,
    accountSid: r.accountSid,
    kind: r.kind,
    value: r.value,
    description: r.description,
    dateCreated: formatTimestamp(r.createdAt),
    dateExpires: r.expiresAt ? formatTimestamp(r.expiresAt) : null,
  };
}

function blockData(accountSid: string, b: StoredBlock): FraudBlockData {
  return {
    id: b.id,
    accountSid,
    scope: { kind: b.kind, value: b.label },
    reason: b.reason,
    counters: b.counters,
    level: b.level,
    dateCreated: formatTimestamp(new Date(b.createdMs)),
    dateUntil: formatTimestamp(new Date(b.untilMs)),
  };
}
