// Renders the report model: one self-contained HTML file (render-html.ts: inline CSS and SVG, no
// network), Markdown for GitHub / Azure DevOps / Teams (render-markdown.ts), and JSON with the same
// numbers. All data is escaped.
import type { ReportModel } from './report.js';

export function renderJson(m: ReportModel): string {
  // The charts are SVG for the page; the JSON carries the numbers they draw.
  return JSON.stringify({ ...m, charts: undefined }, null, 2) + '\n';
}

export { renderHtml, escapeHtml } from './render-html.js';
export { renderMarkdown } from './render-markdown.js';
