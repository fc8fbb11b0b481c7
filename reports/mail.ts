// The report as a Graph sendMail message: a short summary in the body (what needs attention, the
// targets, findings by severity; no SVG, which mail clients drop), the HTML report attached. Subject
// and body go through the same neutralising as every output: the subject is one line (no CR, LF or
// other control character can forge a header), the body is escaped HTML.
import type { ReportModel } from './report.js';
import { escapeHtml } from './render-html.js';
import { asText } from './neutralise.js';

/** Graph takes a file attachment in the sendMail body only under 3 MB (larger ones need an upload session). */
export const MAX_ATTACHMENT_BYTES = 3 * 1024 * 1024;

// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** One line for a mail header: every control character (CR and LF first) becomes a space. */
export function mailSubject(text: string): string {
  return asText(text).replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim().slice(0, 250);
}

export interface MailMessage {
  subject: string;
  body: { contentType: 'HTML'; content: string };
  toRecipients: { emailAddress: { address: string } }[];
  attachments: {
    '@odata.type': '#microsoft.graph.fileAttachment';
    'name': string;
    'contentType': string;
    'contentBytes': string;
  }[];
}

export function reportMail(
  m: ReportModel,
  html: string,
  o: { to: string[]; subjectPrefix: string; fileName: string; status?: string },
): MailMessage {
  const s = m.findings.summary;
  const subject = mailSubject(
    `${o.subjectPrefix}: ${m.title}${o.status ? ` (${o.status})` : ''}: ${s.critical ?? 0} critical, ${s.high ?? 0} high`,
  );
  const e = escapeHtml;
  const attention = m.attention.items.length
    ? `<ol>${m.attention.items.map((i) => `<li><b>${e(i.headline)}</b>: ${e(i.detail)}<br>Do: ${e(i.action)}</li>`).join('')}</ol>${m.attention.more ? `<p>${m.attention.more} more in the report.</p>` : ''}`
    : '<p>Nothing new needs attention.</p>';
  const targets = `<ul>${m.targets.map((t) => `<li>${e(t.status)}: ${e(t.name)}: ${e(t.value)}</li>`).join('')}</ul>`;
  const bytes = Buffer.byteLength(html, 'utf8');
  const attached = bytes <= MAX_ATTACHMENT_BYTES;
  const content = `<html><body><h1>${e(m.title)}</h1><h2>Needs attention</h2>${attention}<h2>Targets</h2>${targets}<p>Findings: ${e(
    ['critical', 'high', 'medium', 'low'].map((k) => `${s[k] ?? 0} ${k}`).join(', '),
  )}.</p><p>${attached ? `The full report is attached (${e(o.fileName)}).` : `The full report (${Math.round(bytes / 1048576)} MB) is too large to attach; it is in the report folder as ${e(o.fileName)}.`}</p></body></html>`;
  return {
    subject,
    body: { contentType: 'HTML', content },
    toRecipients: o.to.map((address) => ({ emailAddress: { address } })),
    attachments: attached
      ? [
          {
            '@odata.type': '#microsoft.graph.fileAttachment',
            'name': o.fileName,
            'contentType': 'text/html',
            'contentBytes': Buffer.from(html, 'utf8').toString('base64'),
          },
        ]
      : [],
  };
}
