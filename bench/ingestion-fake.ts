// The loopback Logs Ingestion fake for the bench's `export sentinel` steps, in a process of its own:
// the export runs as a measured child while bench/run.ts waits on it, so the fake cannot live in
// the bench's process, and its memory is not the export's. It enforces the generated DCR's streams
// like the test fake (it is the test fake) but keeps counts, not rows, so 1.26M rows do not pile up.
// Prints one JSON line when ready ({ url, dcrImmutableId, env }); when its stdin closes, prints the
// totals ({ calls, accepted, refused (any other answer), rows: { stream: n } }) and exits. Needs PIMOPS_TEST_CERT/KEY.
import { startFakeAzure, fakeEnv } from '../test/fakes/azure-fake.js';
import { tablesAndDcrTemplate } from '../reports/sentinel/templates.js';

const DCR = 'dcr-0be7c4000000000000000000000000be';
const fake = await startFakeAzure();
const dcr = (
  tablesAndDcrTemplate() as { resources: { type: string; properties: Record<string, unknown> }[] }
).resources.find((x) => x.type === 'Microsoft.Insights/dataCollectionRules')!;
fake.dcr = {
  immutableId: DCR,
  streams: Object.fromEntries(
    Object.entries(
      dcr.properties.streamDeclarations as Record<string, { columns: { name: string; type: string }[] }>,
    ).map(([k, v]) => [k, v.columns]),
  ),
};

const rows: Record<string, number> = {};
let calls = 0;
let accepted = 0;
let refused = 0;
/** Counts what arrived and forgets the rows. */
function drain(): void {
  // A request still being answered (status 0) is counted on a later round.
  for (const r of fake.ingestionRequests.filter((x) => x.status !== 0)) {
    calls++;
    if (r.status === 204) accepted++;
    else refused++;
  }
  fake.ingestionRequests = fake.ingestionRequests.filter((x) => x.status === 0);
  for (const [stream, list] of Object.entries(fake.ingested)) {
    rows[stream] = (rows[stream] ?? 0) + list.length;
    fake.ingested[stream] = [];
  }
  fake.ingestedByDcr = {};
}
const timer = setInterval(drain, 200);

console.log(JSON.stringify({ url: fake.url, dcrImmutableId: DCR, env: fakeEnv(fake) }));
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  drain();
  console.log(JSON.stringify({ calls, accepted, refused, rows }));
  void fake.close().then(() => process.exit(0));
});
