import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CommandPayload, OtpReply } from '@app/contracts';
import { CommandHandler } from '@app/platform';
import { OtpService } from './otp.service';

/** The `otp.v1.*` commands: the same engine for the gateway and for internal publishers. */
@Controller()
export class OtpController {
  constructor(private readonly otp: OtpService) {}

  @CommandHandler('otp.v1.send')
  send(@Payload() command: CommandPayload<'otp.v1.send'>): Promise<OtpReply> {
    return this.otp.send(command);
  }

  @CommandHandler('otp.v1.verify')
  verify(@Payload() command: CommandPayload<'otp.v1.verify'>): Promise<OtpReply> {
    return this.otp.verify(command);
  }

  @CommandHandler('otp.v1.cancel')
  cancel(@Payload() command: CommandPayload<'otp.v1.cancel'>): Promise<OtpReply> {
    return this.otp.cancel(command);
  }
}
