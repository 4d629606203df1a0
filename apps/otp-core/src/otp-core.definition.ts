import { defineService } from '@app/platform';
import { OtpCoreModule } from './otp-core.module';

export const otpCoreService = defineService({ service: 'otp-core', imports: [OtpCoreModule] });
