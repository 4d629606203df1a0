/** The fraud guard's answers (SPEC 12, `/2fa/fraud/*`), as the contracts define them. */
export type {
  FraudBlockData as FraudBlock,
  FraudSettingsData as FraudSettings,
  GeoPermissionData as GeoPermission,
  SafeListEntryData as SafeListEntry,
} from '@app/contracts';
