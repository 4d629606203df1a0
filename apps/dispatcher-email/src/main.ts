import 'reflect-metadata';
import { runMain } from '@app/platform';
import { dispatcherEmailService } from './dispatcher-email.definition';

runMain(dispatcherEmailService);
