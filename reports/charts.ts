// Charts as static SVG: Vega-Lite specs compiled by vega-lite and rendered by vega's headless
// View.toSVG(), on the server, offline. No hand-built SVG paths.
import * as vega from 'vega';
import * as vl from 'vega-lite';

type Spec = Record<string, unknown>;

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  width: 520,
  height: 220,
  config: {
    font: 'system-ui, sans-serif',
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11 },
  },
};

export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile({ ...base, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function ttaHistogram(rows: { route: string; minutes: number }[]): Spec {
  return {
    title: 'Time to activate',
    data: { values: rows },
    transform: [{ calculate: 'log(max(datum.minutes, 0.05)) / LN10', as: 'log_minutes' }],
    mark: 'bar',
    encoding: {
      x: {
        field: 'log_minutes',
        bin: { maxbins: 30 },
        type: 'quantitative',
        title: 'minutes from request to grant (log scale)',
        axis: { labelExpr: "format(pow(10, datum.value), '.2~r')" },
      },
      y: { aggregate: 'count', type: 'quantitative', title: 'activations' },
      color: {
        field: 'route',
        type: 'nominal',
        scale: { domain: ['self', 'approval'], range: ['#2b6cb0', '#dd6b20'] },
      },
    },
  };
}

export function outcomesByRole(rows: { role: string; outcome: string; requests: number }[]): Spec {
  return {
    title: 'Activation requests by outcome and role',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'role', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 260 } },
      x: { field: 'requests', type: 'quantitative', aggregate: 'sum', title: 'requests' },
      color: {
        field: 'outcome',
        type: 'nominal',
        scale: {
          domain: ['self-activated', 'approved', 'denied', 'expired', 'canceled', 'pending', 'not completed'],
          range: ['#2b6cb0', '#38a169', '#e53e3e', '#d69e2e', '#a0aec0', '#805ad5', '#cbd5e0'],
        },
      },
    },
  };
}

export function activeHoursTop(rows: { admin: string; hours: number }[]): Spec {
  return {
    title: 'Active hours per admin (top)',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'admin', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 260 } },
      x: { field: 'hours', type: 'quantitative', title: 'hours' },
      color: { value: '#2b6cb0' },
    },
  };
}

export function standingTrend(rows: { period: string; standing: number; kind: string }[]): Spec {
  // Bars side by side, not lines: equal counts (two standing, two break-glass) drew one line over the other.
  return {
    title: 'Standing assignments at each period end',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'period', type: 'ordinal', title: null },
      xOffset: { field: 'kind', type: 'nominal', sort: ['standing (target 0)', 'break-glass'] },
      y: { field: 'standing', type: 'quantitative', title: 'assignments', axis: { tickMinStep: 1 } },
      color: {
        field: 'kind',
        type: 'nominal',
        scale: { domain: ['standing (target 0)', 'break-glass'], range: ['#e53e3e', '#718096'] },
        legend: { orient: 'bottom', title: null, labelLimit: 0 },
      },
    },
  };
}

export function findingsTrend(rows: { period: string; severity: string; findings: number }[]): Spec {
  return {
    title: 'Findings by severity',
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'period', type: 'ordinal', title: null },
      y: { field: 'findings', type: 'quantitative', aggregate: 'sum', title: 'findings' },
      color: {
        field: 'severity',
        type: 'nominal',
        scale: {
          domain: ['critical', 'high', 'medium', 'low', 'info'],
          range: ['#742a2a', '#e53e3e', '#dd6b20', '#d69e2e', '#a0aec0'],
        },
      },
    },
  };
}
