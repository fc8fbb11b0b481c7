// Sends one message through Graph sendMail as a mailbox (application permission Mail.Send), with the
// client every Graph call uses (pacing, retries, a fresh token on 401). Graph answers 202 with no body.
import type { Config } from '../../core/config.js';
import type { RefreshableCredential } from '../../core/azure.js';
import { createGraphClient } from './client.js';
import type { MailMessage } from '../../reports/mail.js';

export async function sendMail(config: Config, credential: RefreshableCredential, from: string, message: MailMessage) {
  const client = createGraphClient(config, credential, undefined, 'directory');
  await client.api(`/users/${encodeURIComponent(from)}/sendMail`).post({ message, saveToSentItems: false });
}
