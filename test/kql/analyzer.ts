// Offline KQL analysis with Microsoft's own Kusto language service (@kusto/language-service-next,
// a Bridge.NET build of Kusto.Language): parse and bind a query against a declared schema and return
// the diagnostics the Log Analytics / ADX editors would show, without a workspace.
//
// Loading: the package is not a module. bridge(.min).js sets up the Bridge.NET runtime and, under
// Node, attaches it to `global` (it checks `module.exports`, so it must be loaded with require, not
// import); Kusto.Language.Bridge(.min).js then registers the `Kusto` namespace on the same global.
// Both are loaded once per process through createRequire. The load adds exactly three globals —
// `Bridge`, `System`, `Kusto` — plus `Object.$$inheritors`; they cannot be removed afterwards because
// the library resolves them as free variables at call time. The minified builds are used: same API,
// about half the load time of the unminified ones.
//
// The package's .d.ts files declare global namespaces (System, Kusto, …) for the whole program, so
// they are deliberately not referenced; the small facade below types only what is used here.
import { createRequire } from 'node:module';

export type KqlColumn = {
  name: string;
  type: 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'dynamic' | 'guid' | 'timespan';
};
export type KqlTable = { name: string; columns: KqlColumn[] };
/**
 * A database function, as a workspace would have it declared (saved functions, Sentinel's
 * `_GetWatchlist`, ASIM parsers…). `body` is KQL, with or without the surrounding `{ }`; it is bound
 * lazily, at each call site, against the same database, so it may reference declared tables.
 */
export type KqlFunction = { name: string; parameters: { name: string; type: KqlColumn['type'] }[]; body: string };

export type KqlDiagnostic = {
  /** As reported by Kusto: "Error", "Warning", "Suggestion", "Information" or "Hidden". */
  severity: string;
  /** Kusto diagnostic code, e.g. KS142 (unknown name), KS211 (unknown function), KS006 (missing expression). */
  code: string;
  message: string;
  /** Character offset and length in the query text (length can be 0, e.g. for a missing token). */
  start: number;
  length: number;
  /** One line of query text around the span, the span itself marked as >>…<<. */
  excerpt: string;
};

export type AnalyzeOptions = {
  tables: KqlTable[];
  functions?: KqlFunction[];
  /**
   * Also run the language service's analyzers (KustoCodeService.GetAnalyzerDiagnostics): style and
   * performance advice such as KS508 "join without kind", mostly Warnings/Suggestions. Off by default:
   * GetDiagnostics alone is what decides whether a query compiles.
   */
  analyzers?: boolean;
};

// ---- minimal typed facade over the Bridge.NET objects ---------------------------------------------

interface BridgeList<T> {
  readonly __list?: T;
}
interface TypeSymbol {
  readonly Name: string;
}
interface Symbol_ {
  readonly Name: string;
}
interface DiagnosticObj {
  Code: string | null;
  Severity: string | null;
  Message: string | null;
  Start: number;
  Length: number;
  HasLocation: boolean;
}
interface GlobalState {
  WithDatabase(db: Symbol_): GlobalState;
}
interface KustoCodeObj {
  GetDiagnostics(): BridgeList<DiagnosticObj>;
}
interface KustoLib {
  Language: {
    GlobalState: { Default: GlobalState };
    KustoCode: { ParseAndAnalyze(text: string, globals: GlobalState): KustoCodeObj };
    Diagnostic: unknown;
    Editor: {
      KustoCodeService: {
        ctor: new (code: KustoCodeObj) => {
          GetAnalyzerDiagnostics(waitForAnalysis: boolean): BridgeList<DiagnosticObj>;
        };
      };
    };
    Symbols: {
      ScalarTypes: Record<
        'String' | 'Int' | 'Long' | 'Real' | 'Bool' | 'DateTime' | 'Dynamic' | 'Guid' | 'TimeSpan',
        TypeSymbol
      >;
      ColumnSymbol: new (
        name: string,
        type: TypeSymbol,
        description: string | null,
        originalColumns: null,
        source: null,
        examples: null,
      ) => Symbol_;
      TableSymbol: { $ctor4: new (name: string, columns: Symbol_[]) => Symbol_ };
      Parameter: { $ctor2: new (name: string, type: TypeSymbol) => unknown };
      FunctionSymbol: { $ctor11: new (name: string, body: string, parameters: unknown[]) => Symbol_ };
      DatabaseSymbol: { ctor: new (name: string, members: Symbol_[]) => Symbol_ };
    };
  };
}
interface SystemLib {
  Array: { getCount(list: unknown, T: unknown): number; getItem<T>(list: BridgeList<T>, i: number, T: unknown): T };
}

// ---- loading ----------------------------------------------------------------------------------------

let lib: { Kusto: KustoLib; System: SystemLib; loadMs: number } | undefined;

/** Loads the language service once per process; returns it with the time the first load took. */
export function loadKusto(): { Kusto: KustoLib; System: SystemLib; loadMs: number } {
  if (lib) return lib;
  const t0 = performance.now();
  const g = globalThis as unknown as { Kusto?: KustoLib; System?: SystemLib; Bridge?: unknown };
  if (!g.Kusto) {
    const require = createRequire(import.meta.url);
    require(require.resolve('@kusto/language-service-next/bridge.min.js'));
    require(require.resolve('@kusto/language-service-next/Kusto.Language.Bridge.min.js'));
  }
  if (!g.Kusto?.Language || !g.System)
    throw new Error('@kusto/language-service-next loaded but did not define Kusto.Language / System');
  // The first analysis initialises GlobalState.Default (every built-in function and operator) and
  // costs as much again as the load: do it here so the cost is paid, and measured, once.
  g.Kusto.Language.KustoCode.ParseAndAnalyze('print 1', g.Kusto.Language.GlobalState.Default).GetDiagnostics();
  lib = { Kusto: g.Kusto, System: g.System, loadMs: performance.now() - t0 };
  return lib;
}

function toArray<T>(list: BridgeList<T> | null | undefined, T: unknown): T[] {
  if (!list) return [];
  const { System } = loadKusto();
  const n = System.Array.getCount(list, T);
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(System.Array.getItem(list, i, T));
  return out;
}

// ---- schema -> GlobalState ------------------------------------------------------------------------

const globalsCache = new Map<string, GlobalState>();

function scalarType(type: KqlColumn['type']): TypeSymbol {
  const t = loadKusto().Kusto.Language.Symbols.ScalarTypes;
  const map: Record<KqlColumn['type'], TypeSymbol> = {
    string: t.String,
    int: t.Int,
    long: t.Long,
    real: t.Real,
    bool: t.Bool,
    datetime: t.DateTime,
    dynamic: t.Dynamic,
    guid: t.Guid,
    timespan: t.TimeSpan,
  };
  const s = map[type];
  if (!s) throw new Error(`unknown KQL column type ${JSON.stringify(type)}`);
  return s;
}

function globalsFor(opts: AnalyzeOptions): GlobalState {
  const key = JSON.stringify([opts.tables, opts.functions ?? []]);
  const hit = globalsCache.get(key);
  if (hit) return hit;
  const { Kusto } = loadKusto();
  const S = Kusto.Language.Symbols;
  const members: Symbol_[] = [];
  for (const t of opts.tables) {
    members.push(
      new S.TableSymbol.$ctor4(
        t.name,
        t.columns.map((c) => new S.ColumnSymbol(c.name, scalarType(c.type), null, null, null, null)),
      ),
    );
  }
  for (const f of opts.functions ?? []) {
    const body = f.body.trim().startsWith('{') ? f.body.trim() : `{ ${f.body.trim()} }`;
    members.push(
      new S.FunctionSymbol.$ctor11(
        f.name,
        body,
        f.parameters.map((p) => new S.Parameter.$ctor2(p.name, scalarType(p.type))),
      ),
    );
  }
  const globals = Kusto.Language.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor('db', members));
  globalsCache.set(key, globals);
  return globals;
}

// ---- analysis -------------------------------------------------------------------------------------

function excerptOf(query: string, start: number, length: number, context = 40): string {
  const from = Math.max(0, start - context);
  const to = Math.min(query.length, start + length + context);
  const oneLine = (s: string) => s.replace(/\r?\n/g, ' ⏎ ');
  return `${from > 0 ? '…' : ''}${oneLine(query.slice(from, start))}>>${oneLine(query.slice(start, start + length))}<<${oneLine(query.slice(start + length, to))}${to < query.length ? '…' : ''}`;
}

/** Every diagnostic Kusto reports for `query` bound against the declared tables and functions. */
export function analyzeKql(query: string, opts: AnalyzeOptions): KqlDiagnostic[] {
  const { Kusto } = loadKusto();
  const L = Kusto.Language;
  const code = L.KustoCode.ParseAndAnalyze(query, globalsFor(opts));
  const found = toArray(code.GetDiagnostics(), L.Diagnostic);
  if (opts.analyzers)
    found.push(...toArray(new L.Editor.KustoCodeService.ctor(code).GetAnalyzerDiagnostics(true), L.Diagnostic));
  return found.map((d) => {
    const start = d.HasLocation ? d.Start : 0;
    const length = d.HasLocation ? d.Length : 0;
    return {
      severity: d.Severity ?? 'Error',
      code: d.Code ?? '',
      message: d.Message ?? '',
      start,
      length,
      excerpt: excerptOf(query, start, length),
    };
  });
}

function lineCol(query: string, offset: number): string {
  const before = query.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** Only the Error diagnostics, each as one readable line: `KS142 at 1:19: <message> | <excerpt>`. */
export function kqlErrors(query: string, opts: AnalyzeOptions): string[] {
  return analyzeKql(query, opts)
    .filter((d) => d.severity === 'Error')
    .map((d) => `${d.code} at ${lineCol(query, d.start)}: ${d.message} | ${d.excerpt}`);
}

/**
 * A stand-in for Microsoft Sentinel's `_GetWatchlist(watchlistAlias:string)`: returns a table with
 * `SearchKey:string` followed by the given columns (the watchlist's own columns, as the caller knows
 * them). The real function also returns bookkeeping columns; declare them here if a query uses them.
 */
export function watchlistFunction(columns: KqlColumn[] = []): KqlFunction {
  const schema = [{ name: 'SearchKey', type: 'string' }, ...columns.filter((c) => c.name !== 'SearchKey')]
    .map((c) => `['${c.name}']:${c.type}`)
    .join(', ');
  return {
    name: '_GetWatchlist',
    parameters: [{ name: 'watchlistAlias', type: 'string' }],
    body: `datatable(${schema})[]`,
  };
}
