import { describe, it, expect } from 'vitest';
import { recogniseHead, recordsOfDocument, flavorOf, LineScanner } from './recognise.js';

const graph = { id: 'x', activityDisplayName: 'Add member to role', activityDateTime: '2026-10-01T00:00:00Z' };
const envelope = {
  time: '2026-10-01T00:00:00Z',
  operationName: 'Add member to role',
  category: 'AuditLogs',
  properties: graph,
};

describe('recogniseHead', () => {
  it.each([
    ['', true, 'empty'],
    ['   \n\n', true, 'empty'],
    ['', false, 'unrecognized'],
    ['TenantId,TimeGenerated\n', true, 'unrecognized'],
    ['[{"id":1}]', true, 'document'],
    ['{\n  "value": [', false, 'document'],
    [JSON.stringify({ value: [graph] }), true, 'document'],
    [JSON.stringify({ records: [envelope] }), true, 'document'],
    [
      `${JSON.stringify({ records: [envelope] })}\n${JSON.stringify({ records: [envelope] })}\n`,
      true,
      'eventhub_lines',
    ],
    [`${JSON.stringify(graph)}\n${JSON.stringify(graph)}\n`, true, 'ndjson'],
    [`${JSON.stringify(graph)}`, true, 'ndjson'],
    [`\ufeff${JSON.stringify(graph)}\r\n`, true, 'ndjson'],
    ['{"id": "cut', false, 'document'],
    ['42\n{"id":"a"}\n', true, 'ndjson'],
    ['not json\n{"id":"a"}\n', true, 'ndjson'],
    ['hello\nworld\n', true, 'unrecognized'],
  ] as const)('%j (complete: %s) → %s', (head, complete, want) => {
    expect(recogniseHead(head, complete)).toBe(want);
  });
});

describe('recordsOfDocument', () => {
  it.each([
    [[graph], 'json_array', 1],
    [{ '@odata.context': 'x', 'value': [graph, graph] }, 'graph_page', 2],
    [{ records: [envelope] }, 'records_envelope', 1],
    [graph, 'single_record', 1],
    [envelope, 'single_record', 1],
  ] as const)('%j is a %s of %d', (doc, shape, n) => {
    const r = recordsOfDocument(doc);
    expect(r).toMatchObject({ shape, items: expect.any(Array) });
    expect('items' in r && r.items.length).toBe(n);
  });
  it.each([[42], ['text'], [null], [{ hello: 'world' }]])('refuses %j', (doc) => {
    expect(recordsOfDocument(doc)).toHaveProperty('reject');
  });
});

describe('flavorOf', () => {
  it.each([
    [graph, 'graph'],
    [envelope, 'diagnostic'],
    [{ properties: { id: 'x' } }, 'diagnostic'],
    [{ ActivityDisplayName: 'x', OperationName: 'x' }, 'log_analytics'],
    [{ hello: 1 }, null],
    [[1], null],
  ] as const)('%j → %s', (rec, want) => {
    expect(flavorOf(rec)).toBe(want);
  });
});

describe('LineScanner', () => {
  const scan = (...chunks: string[]) => {
    const s = new LineScanner();
    for (const c of chunks) s.push(Buffer.from(c));
    s.finish();
    return { lines: s.lines, records: s.nonBlank, clean: s.clean };
  };
  it.each([
    [['{"a":1}\n{"b":2}\n'], { lines: 2, records: 2, clean: true }],
    [['{"a":1}\n{"b":2}'], { lines: 2, records: 2, clean: true }],
    [['{"a":1}\n\n{"b":2}\n'], { lines: 3, records: 2, clean: false }],
    [['{"a":1}\n   \n'], { lines: 2, records: 1, clean: false }],
    [['\ufeff{"a":1}\n'], { lines: 1, records: 1, clean: false }],
    [['{"a":', '1}\n{"b"', ':2}\n'], { lines: 2, records: 2, clean: true }],
    [['{"a":1}\r\n{"b":2}\r\n'], { lines: 2, records: 2, clean: true }],
    [[''], { lines: 0, records: 0, clean: true }],
  ])('%j', (chunks, want) => {
    expect(scan(...chunks)).toEqual(want);
  });
});
