import 'reflect-metadata';
import { runMain } from '@app/platform';
import { dispatcherSmsService } from './dispatcher-sms.definition';

runMain(dispatcherSmsService);
