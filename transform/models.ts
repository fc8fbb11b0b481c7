// The models and the order they run in, declared once: sql.ts finds a model's file by its layer,
// stage.ts runs the staging models for each landed file, derive.ts runs the rest in this order, in
// full and incrementally. test/models.test.ts holds this list to the files and to what their SQL reads.

export type Layer = 'staging' | 'intermediate' | 'marts';

export interface Model {
  readonly name: string;
  /** Its folder under models/, as dbt groups them. */
  readonly layer: Layer;
  /** The relations its SQL reads: an earlier model's output, or one of SOURCES. */
  readonly reads: readonly string[];
  /** What its rows become: the table, or the name the next model reads them under. */
  readonly output: string;
  /** Staging models per record shape: the landing flavor they read. */
  readonly flavor?: string;
}

/** Relations no model makes: the landed file being staged, the lookup table, the snapshot tables and
 *  the coverage starts derive.ts keeps. */
export const SOURCES: readonly string[] = [
  'src',
  'pim_activity_map',
  'directory_users',
  'activation_instances',
  'coverage_starts',
];

// audit_records is staging, not intermediate: it runs per landed file inside staging, one line in,
// one row out (no join or aggregate across records), making every shape's renamed columns the one
// canonical, typed audit_events row (or the reason the line is refused). Cross-record logic starts
// at int_pim_events.
export const MODELS = [
  { name: 'stg_graph', layer: 'staging', flavor: 'graph', reads: ['src'], output: 'staged' },
  { name: 'stg_diagnostic', layer: 'staging', flavor: 'diagnostic', reads: ['src'], output: 'staged' },
  { name: 'stg_log_analytics', layer: 'staging', flavor: 'log_analytics', reads: ['src'], output: 'staged' },
  { name: 'audit_records', layer: 'staging', reads: ['staged'], output: 'audit_events' },
  {
    name: 'int_pim_events',
    layer: 'intermediate',
    reads: ['audit_events', 'pim_activity_map'],
    output: 'int_pim_events',
  },
  {
    name: 'pim_activations',
    layer: 'marts',
    reads: ['int_pim_events', 'activation_instances', 'coverage_starts'],
    output: 'pim_activations',
  },
  { name: 'pim_requests', layer: 'marts', reads: ['int_pim_events', 'pim_activations'], output: 'pim_requests' },
  { name: 'role_assignments', layer: 'marts', reads: ['int_pim_events'], output: 'role_assignments' },
  // Peers are read from role_assignments: it runs before.
  {
    name: 'pim_approvals',
    layer: 'marts',
    reads: ['int_pim_events', 'pim_requests', 'role_assignments', 'directory_users'],
    output: 'pim_approvals',
  },
] as const satisfies readonly Model[];

type Declared = (typeof MODELS)[number];
export type ModelName = Declared['name'];
/** The landing flavors read as audit records: one staging model each. */
export type Flavor = Extract<Declared, { flavor: string }>['flavor'];
/** The models derived from audit_events (the PIM tables), in the order they run. */
export type DerivedModelName = Extract<Declared, { layer: 'intermediate' | 'marts' }>['name'];

export const STAGED_FLAVORS: readonly string[] = MODELS.flatMap((m) => ('flavor' in m ? [m.flavor] : []));

export const DERIVED_MODELS: readonly DerivedModelName[] = MODELS.flatMap((m) =>
  m.layer === 'staging' ? [] : [m.name],
);

export function stagingModel(flavor: Flavor): ModelName {
  return MODELS.find((m) => 'flavor' in m && m.flavor === flavor)!.name;
}
