import type { Provider, Type } from '@nestjs/common';
import { FraudController } from './fraud.controller';
import { FraudGuard } from './fraud-guard.service';
import { FraudPolicies } from './fraud-policies';
import { FraudRedisLifecycle, fraudRedisProvider, FraudStore } from './fraud-store';
import { FraudVerifiedConsumer } from './fraud-verified.consumer';
import { FraudRepository } from './fraud.repository';
import { FraudService } from './fraud.service';

/**
 * The fraud guard (SPEC 12) inside the limiter: its decision path (run by the limiter before
 * the limits), its own Redis, the verified-event consumer and `fraud.v1.*`. Its tables live in
 * the limiter's table space, so these are part of the limiter's module and share its data source.
 */
export const FRAUD_CONTROLLERS: Type[] = [FraudController];
export const FRAUD_PROVIDERS: Provider[] = [
  fraudRedisProvider,
  FraudRedisLifecycle,
  FraudStore,
  FraudRepository,
  FraudPolicies,
  FraudGuard,
  FraudService,
  FraudVerifiedConsumer,
];
