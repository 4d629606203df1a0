import { Inject, Injectable } from '@nestjs/common';
import type { FraudLevel, FraudMode, GeoPermission } from '@app/contracts';
import type { DataSource } from 'typeorm';
import { LIMITER_DATA_SOURCE } from '../limiter.database';

export interface FraudSettingsRow {
  accountSid: string;
  mode: FraudMode;
  level: FraudLevel;
  allowBypass: boolean;
  updatedAt: Date;
}

export interface GeoPermissionRow {
  countryCode: string;
  sms: GeoPermission;
  call: GeoPermission;
}

export interface SafeListRow {
  id: string;
  accountSid: string;
  kind: 'number' | 'prefix';
  value: string;
  description: string | null;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Every statement on the fraud guard's tables (table space `limiter`). */
@Injectable()
export class FraudRepository {
  constructor(@Inject(LIMITER_DATA_SOURCE) private readonly db: DataSource) {}

  async settings(accountSid: string): Promise<FraudSettingsRow | undefined> {
    const rows: { account_sid: string; mode: FraudMode; level: FraudLevel; allow_bypass: boolean; updated_at: Date }[] =
      await this.db.query(
        `SELECT account_sid, mode, level, allow_bypass, updated_at FROM limiter.fraud_settings WHERE account_sid = $1`,
        [accountSid],
      );
    const r = rows[0];
    return r && { accountSid, mode: r.mode, level: r.level, allowBypass: r.allow_bypass, updatedAt: r.updated_at };
  }

  async saveSettings(row: FraudSettingsRow): Promise<void> {
    await this.db.query(
      `INSERT INTO limiter.fraud_settings (account_sid, mode, level, allow_bypass, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_sid) DO UPDATE SET mode = EXCLUDED.mode, level = EXCLUDED.level,
         allow_bypass = EXCLUDED.allow_bypass, updated_at = EXCLUDED.updated_at`,
      [row.accountSid, row.mode, row.level, row.allowBypass, row.updatedAt],
    );
  }

  async geoPermissions(accountSid: string): Promise<GeoPermissionRow[]> {
    const rows: { country_code: string; sms: GeoPermission; call: GeoPermission }[] = await this.db.query(
      `SELECT country_code, sms, call FROM limiter.fraud_geo_permissions WHERE account_sid = $1 ORDER BY country_code`,
      [accountSid],
    );
    return rows.map((r) => ({ countryCode: r.country_code, sms: r.sms, call: r.call }));
  }

  async saveGeoPermission(accountSid: string, row: GeoPermissionRow, now: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO limiter.fraud_geo_permissions (account_sid, country_code, sms, call, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (account_sid, country_code) DO UPDATE SET sms = EXCLUDED.sms, call = EXCLUDED.call, updated_at = EXCLUDED.updated_at`,
      [accountSid, row.countryCode, row.sms, row.call, now],
    );
  }

  /** The entries that have not expired by `now`, oldest first. */
  async safeList(accountSid: string, now: Date): Promise<SafeListRow[]> {
    const rows: {
      id: string;
      account_sid: string;
      kind: 'number' | 'prefix';
      value: string;
      description: string | null;
      created_at: Date;
      expires_at: Date | null;
    }[] = await this.db.query(
      `SELECT id, account_sid, kind, value, description, created_at, expires_at FROM limiter.fraud_safe_list
        WHERE account_sid = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at, id LIMIT 10000`,
      [accountSid, now],
    );
    return rows.map((r) => ({
      id: r.id,
      accountSid: r.account_sid,
      kind: r.kind,
      value: r.value,
      description: r.description,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
    }));
  }

  async addSafeListEntry(row: SafeListRow): Promise<void> {
    await this.db.query(
      `INSERT INTO limiter.fraud_safe_list (id, account_sid, kind, value, description, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [row.id, row.accountSid, row.kind, row.value, row.description, row.createdAt, row.expiresAt],
    );
  }

  /** Deletes the account's entry; undefined when it has none of that id. */
  async deleteSafeListEntry(accountSid: string, id: string, now: Date): Promise<SafeListRow | undefined> {
    const entries = await this.safeList(accountSid, now);
    const entry = entries.find((e) => e.id === id);
    if (!entry) return undefined;
    await this.db.query(`DELETE FROM limiter.fraud_safe_list WHERE id = $1 AND account_sid = $2`, [id, accountSid]);
    return entry;
  }
}
