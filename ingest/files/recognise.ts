// Pure, IO-free recognition of what an audit file is, by content rather than by name.

export type HeadKind = 'empty' | 'ndjson' | 'eventhub_lines' | 'document' | 'la_csv' | 'unrecognized';

const BOM = '\ufeff';

function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  return (nl === -1 ? text : text.slice(0, nl)).trim();
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Decides from the first bytes of a (decompressed) file how to read it.
 * `complete` says whether `head` is the whole file.
 */
export function recogniseHead(head: string, complete: boolean): HeadKind {
  const text = head.startsWith(BOM) ? head.slice(1) : head;
  const trimmed = text.trimStart();
  if (trimmed === '') return complete ? 'empty' : 'unrecognized';
  if (trimmed[0] === '[') return 'document';
  if (trimmed[0] !== '{') {
    if (isLogAnalyticsCsvHeader(firstLine(trimmed))) return 'la_csv';
    // NDJSON whose first line is damaged or not an object: the lines after it decide.
    return trimmed
      .split('\n')
      .slice(1)
      .some((l) => l.trimStart().startsWith('{'))
      ? 'ndjson'
      : 'unrecognized';
  }
  const line = firstLine(trimmed);
  const parsed = tryParse(line);
  if (!isObject(parsed)) return 'document'; // pretty-printed, or a broken first line (the full read decides)
  const rest = trimmed.slice(trimmed.indexOf('\n') === -1 ? trimmed.length : trimmed.indexOf('\n')).trim();
  const isBody = Array.isArray(parsed.records) || Array.isArray(parsed.value);
  if (isBody) return rest === '' ? 'document' : 'eventhub_lines';
  return 'ndjson';
}

/** A Log Analytics AuditLogs export: a CSV header naming the table's columns. */
export function isLogAnalyticsCsvHeader(line: string): boolean {
  const cols = new Set(line.split(',').map((c) => c.trim().replace(/^"|"$/g, '')));
  return (
    cols.has('Id') &&
    (cols.has('ActivityDisplayName') || cols.has('OperationName')) &&
    (cols.has('TargetResources') || cols.has('InitiatedBy'))
  );
}

/** The dynamic columns of AuditLogs arrive as JSON text in CSV cells. */
export const LOG_ANALYTICS_DYNAMIC = ['InitiatedBy', 'TargetResources', 'AdditionalDetails'];

export type DocumentShape = 'graph_page' | 'records_envelope' | 'json_array' | 'single_record' | `snapshot:${string}`;

/** Saved Graph responses of the PIM state endpoints, known by their @odata.context. */
const SNAPSHOT_CONTEXTS: [RegExp, string][] = [
  // PIM for Groups (issue 23): before the Entra names, which are not substrings of these but read alike.
  [/privilegedAccess\/group\/eligibilityScheduleInstances/i, 'groupEligibilityScheduleInstances'],
  [/privilegedAccess\/group\/assignmentScheduleInstances/i, 'groupAssignmentScheduleInstances'],
  [/#groups\b/i, 'pimGroups'],
  [/roleEligibilityScheduleInstances/i, 'roleEligibilityScheduleInstances'],
  [/roleAssignmentScheduleInstances/i, 'roleAssignmentScheduleInstances'],
  [/roleManagementPolicyAssignments/i, 'roleManagementPolicyAssignments'],
  [/roleDefinitions/i, 'roleDefinitions'],
  [/accessReviews\/definitions/i, 'accessReviewDefinitions'],
  [/#users/i, 'users'],
  [/auditLogs\/signIns/i, 'signIns'],
];

/** ARM list responses (PIM for Azure resources) carry no @odata.context: their items' `type` says what they are. */
const ARM_TYPES: [RegExp, string][] = [
  [/^Microsoft\.Authorization\/roleEligibilityScheduleInstances$/i, 'armRoleEligibilityScheduleInstances'],
  [/^Microsoft\.Authorization\/roleAssignmentScheduleInstances$/i, 'armRoleAssignmentScheduleInstances'],
  [/^Microsoft\.Authorization\/roleManagementPolicyAssignments?$/i, 'armRoleManagementPolicyAssignments'],
  [/^Microsoft\.Management\/managementGroups$/i, 'armManagementGroups'],
];

function armEndpointOf(doc: Record<string, unknown>): string | undefined {
  const items = doc.value;
  if (!Array.isArray(items) || !items.length || !items.every(isObject)) return undefined;
  const types = new Set(items.map((i) => (typeof i.type === 'string' ? i.type : '')));
  if (types.size === 1) {
    const found = ARM_TYPES.find(([re]) => re.test([...types][0]))?.[1];
    if (found) return found;
  }
  // Subscriptions have no type: an id under /subscriptions/ and a subscriptionId.
  if (items.every((i) => typeof i.subscriptionId === 'string' && /^\/subscriptions\/[^/]+$/i.test(String(i.id))))
    return 'armSubscriptions';
  return undefined;
}

export function snapshotEndpointOf(doc: unknown): string | undefined {
  if (!isObject(doc)) return undefined;
  if (typeof doc['@odata.context'] !== 'string') return armEndpointOf(doc);
  return SNAPSHOT_CONTEXTS.find(([re]) => re.test(doc['@odata.context'] as string))?.[1];
}

/** What a whole JSON document holds: the list of records inside it, or why it holds none. */
export function recordsOfDocument(doc: unknown): { shape: DocumentShape; items: unknown[] } | { reject: string } {
  if (Array.isArray(doc)) return { shape: 'json_array', items: doc };
  if (!isObject(doc)) return { reject: 'a JSON document that is neither an object nor an array' };
  const endpoint = snapshotEndpointOf(doc);
  if (endpoint && Array.isArray(doc.value)) return { shape: `snapshot:${endpoint}`, items: doc.value };
  if (Array.isArray(doc.value)) return { shape: 'graph_page', items: doc.value };
  if (Array.isArray(doc.records)) return { shape: 'records_envelope', items: doc.records };
  if (flavorOf(doc)) return { shape: 'single_record', items: [doc] };
  return { reject: 'a JSON object with no "value" or "records" list and no audit record fields' };
}

/**
 * Which staging model reads a record: Graph's flat camelCase, or the diagnostic-settings envelope
 * with the event under `properties`. Log Analytics rows (PascalCase) are not a file shape here.
 */
export function flavorOf(record: unknown): 'graph' | 'diagnostic' | 'log_analytics' | null {
  if (!isObject(record)) return null;
  if (
    isObject(record.properties) &&
    ('activityDisplayName' in record.properties || 'activityDateTime' in record.properties || 'operationName' in record)
  )
    return 'diagnostic';
  if ('activityDisplayName' in record || 'activityDateTime' in record || 'loggedByService' in record) return 'graph';
  if ('ActivityDisplayName' in record || 'OperationName' in record) return 'log_analytics';
  if (isObject(record.properties)) return 'diagnostic';
  return null;
}

/** The flavor of an NDJSON file: from the first line that is a JSON object (damaged lines are the staging's business). */
export function ndjsonFlavor(head: string): ReturnType<typeof flavorOf> {
  for (const l of head.replace(/^\ufeff/, '').split('\n')) {
    const parsed = tryParse(l.trim());
    if (isObject(parsed)) return flavorOf(parsed);
  }
  return 'graph';
}

/** Scans decompressed NDJSON for what makes DuckDB's row numbers differ from line numbers. */
export class LineScanner {
  lines = 0;
  nonBlank = 0;
  clean = true;
  private atLineStart = true;
  private first = true;
  private currentBlank = true;

  push(chunk: Buffer): void {
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) this.clean = false;
    }
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.atLineStart) {
        this.atLineStart = false;
        this.currentBlank = true;
        if (b === 0x0a || b === 0x0d || b === 0x20 || b === 0x09) this.clean = false;
      }
      if (b === 0x0a) {
        this.lines++;
        if (!this.currentBlank) this.nonBlank++;
        this.atLineStart = true;
        continue;
      }
      if (b !== 0x0d && b !== 0x20 && b !== 0x09) this.currentBlank = false;
      // Jump to the next newline: most bytes are inside long lines.
      const nl = chunk.indexOf(0x0a, i + 1);
      const end = nl === -1 ? chunk.length : nl;
      if (this.currentBlank) {
        for (let j = i + 1; j < end; j++) {
          const c = chunk[j];
          if (c !== 0x0d && c !== 0x20 && c !== 0x09) {
            this.currentBlank = false;
            break;
          }
        }
      }
      if (nl === -1) return;
      i = nl - 1;
    }
  }

  finish(): void {
    if (!this.atLineStart) {
      this.lines++;
      if (!this.currentBlank) this.nonBlank++;
    }
  }
}
