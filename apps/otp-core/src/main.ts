import 'reflect-metadata';
import { runMain } from '@app/platform';
import { otpCoreService } from './otp-core.definition';

runMain(otpCoreService);
