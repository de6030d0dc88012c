import { Inject, Injectable } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { APP_CONFIG, type AppConfig, JsonLogger } from '@holdout/db';

/** One message the platform sends (plain text: links and a few sentences). */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * How mail leaves the API (`HOLDOUT_MAIL_URL`). `log:` (the default, so a fresh installation
 * works without a mail server) writes each message to the API's JSON log, where an operator finds
 * a password-reset link; an `smtp://` or `smtps://` URL sends it through that server (nodemailer).
 */
@Injectable()
export class Mailer {
  private readonly transport: Transporter | null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly logger: JsonLogger,
  ) {
    this.transport = config.mailUrl === 'log:' ? null : nodemailer.createTransport(config.mailUrl);
  }

  async send(m: Mail): Promise<void> {
    if (!this.transport) {
      this.logger.write('info', 'mail (HOLDOUT_MAIL_URL=log:)', { to: m.to, subject: m.subject, text: m.text });
      return;
    }
    await this.transport.sendMail({ from: this.config.mailFrom, to: m.to, subject: m.subject, text: m.text });
  }
}
