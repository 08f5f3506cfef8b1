/* ionstack: finite-volume ion transport in all-solid-state lithium cells.
 *
 * Shared types of every layer. Units are SI throughout (m, s, A, V, mol, K);
 * the config layer converts user units on the way in and nothing else does. */
#pragma once

#include <petscts.h>
#include <petscdmda.h>

#define IONSTACK_VERSION "0.1.0"

#define FARADAY 96485.33212      /* C/mol */
#define GAS_CONSTANT 8.314462618 /* J/(mol K) */
#define SECONDS_PER_H 3600.0

/* Phase of a mesh cell (SPEC 2.1); the integers are the default phase-map labels. */
typedef enum { PHASE_VOID, PHASE_LITHIUM, PHASE_ELECTROLYTE, PHASE_ACTIVE, PHASE_COMPOSITE, PHASE_COLLECTOR, PHASE_COUNT } PhaseType;
extern const char *const PhaseNames[];

/* Unknowns per cell. FIELD_C is the mobile lithium concentration of the
 * cell's phase (salt in an electrolyte, c_s in an active solid); FIELD_PHI the
 * potential of its charge carrier (phi_e in an electrolyte, phi_s in an
 * electron conductor). A phase that lacks a field holds it at zero. */
typedef enum { FIELD_C, FIELD_PHI, FIELD_COUNT } FieldIndex;

typedef enum { ELECTROLYTE_SINGLE_ION, ELECTROLYTE_BINARY } ElectrolyteKind;
extern const char *const ElectrolyteKinds[];

/* Material parameters, already evaluated at the run temperature. */
typedef struct {
  char            name[64];
  ElectrolyteKind kind;
  PetscReal       concentration;         /* initial = reference Li+ (salt) concentration, mol/m^3 */
  PetscReal       conductivity;          /* at the reference concentration, S/m */
  PetscReal       conductivity_exponent; /* kappa(c) = conductivity (c/c_ref)^n: 1 dilute, 0 constant */
  PetscReal       diffusivity;           /* salt diffusivity, m^2/s (binary) */
  PetscReal       transference;          /* cation transference number t+ (1 for single-ion) */
  PetscReal       thermodynamic_factor;  /* chi = 1 + dln f/dln c */
  PetscReal       density;               /* kg/m^3 */
} Electrolyte;

typedef enum {
  OCP_CONSTANT, /* U = ocp_value */
  OCP_NMC811,   /* built-in fits, see material.c: every name between OCP_CONSTANT and OCP_TABLE */
  OCP_LCO,
  OCP_NMC532,
  OCP_LFP,
  OCP_TABLE /* piecewise-linear table from a CSV file */
} OcpModel;
extern const char *const OcpModels[];

typedef struct {
  char       name[64];
  PetscReal  max_concentration; /* c_s,max, mol/m^3 */
  PetscReal  diffusivity;       /* D_s, m^2/s */
  PetscReal  conductivity;      /* sigma_s, S/m */
  PetscReal  theta_min;         /* stoichiometry at the top of charge */
  PetscReal  theta_max;         /* stoichiometry at the end of discharge */
  PetscReal  theta_initial;
  OcpModel   ocp;
  PetscReal  ocp_value; /* V, for OCP_CONSTANT */
  PetscInt   ocp_points;
  PetscReal *ocp_theta, *ocp_voltage; /* OCP_TABLE, ascending theta */
  PetscReal  density;                 /* kg/m^3 */
} ActiveMaterial;

/* Butler-Volmer kinetics of one interface (SPEC 2.4). */
typedef struct {
  PetscReal exchange_current_density; /* i0 at the reference state, A/m^2 */
  PetscReal alpha_a, alpha_c;
  PetscReal film_resistance;         /* Ohm m^2 */
  PetscBool concentration_dependent; /* i0 follows the local concentrations */
} Kinetics;

typedef enum {
  CATHODE_ACTIVE,    /* dense active layer: a thin-film cathode */
  CATHODE_LITHIUM,   /* lithium: a symmetric Li | SE | Li cell */
  CATHODE_COMPOSITE, /* homogenized porous cathode: particles, electrolyte, carbon (SPEC 2.3) */
  CATHODE_MODEL_COUNT
} CathodeModel;
extern const char *const CathodeModels[];

typedef struct {
  PetscReal thickness; /* m */
  PetscInt  cells;
  PetscReal grading; /* ratio of the largest to the smallest cell; >1 refines toward interfaces */
} Layer;

/* A quantity that varies linearly across a layer, from its separator side
 * to its collector side (equal ends: a constant). */
typedef struct {
  PetscReal separator_side, collector_side;
} Profile;

/* The homogenized composite of a porous cathode (SPEC 2.3). */
typedef struct {
  Profile   active_fraction, electrolyte_fraction, carbon_fraction; /* volume fractions; the rest is void */
  Profile   particle_radius;                                        /* m */
  PetscReal bruggeman;                                              /* p_eff = p eps^b */
  PetscReal tortuosity;                                             /* > 0: p_eff = p eps / tortuosity instead */
  PetscReal contact_fraction;                                       /* share of the particle surface that reacts */
  PetscInt  shells;                                                 /* radial finite volumes per particle */
  PetscReal shell_grading;                                          /* innermost over outermost shell width (>= 1 refines the surface) */
  PetscReal carbon_conductivity;                                    /* S/m, of the carbon/binder network */
  PetscReal carbon_density;                                         /* kg/m^3 of the carbon/binder phase */
} Composite;

/* One layer of the stack: its phase, geometry and materials. Which of the
 * material slots a region uses follows from its phase (src/physics/phase.c):
 * lithium and collector use conductivity and density; electrolyte uses
 * electrolyte; active uses active and conductivity; composite uses all of
 * electrolyte (the one in its pores), active, composite and conductivity
 * (of the solid network before the fractions). kinetics is the reaction of
 * the region's electrode with an electrolyte. */
typedef struct {
  char           name[32]; /* the config section, e.g. "separator" */
  PhaseType      phase;
  Layer          layer;
  Electrolyte    electrolyte;
  ActiveMaterial active;
  Kinetics       kinetics;
  PetscReal      conductivity; /* electronic, S/m */
  PetscReal      density;      /* kg/m^3 of a metal or collector */
  Composite      composite;
} Region;

/* A current collector foil of the stack mass model (src/output/metrics.c). */
typedef struct {
  char      material[64];
  PetscReal thickness; /* m; 0: none */
  PetscReal density;   /* kg/m^3 */
} Collector;

/* The regions a config's sections make, in stack order from x = 0. Code
 * below the config layer walks p->region[] and does not rely on these. */
typedef enum { REGION_ANODE, REGION_SEPARATOR, REGION_CATHODE, MAX_REGIONS = 8 } RegionIndex;

/* A 2D mesh's generator (mesh.generator; src/mesh/phasemap.c builds it):
 * the stack of three layers along x (anode lithium, separator electrolyte,
 * cathode) on square-ish cells of height lateral_size / lateral_cells. */
typedef enum {
  GENERATOR_NONE, /* the map comes from a file */
  GENERATOR_FLAT,
  GENERATOR_SINUSOIDAL,
  GENERATOR_ROUGH,
  GENERATOR_VOIDS,
  GENERATOR_PARTICLES,
  GENERATOR_COUNT
} GeneratorKind;
extern const char *const GeneratorKinds[];

typedef struct {
  GeneratorKind kind;
  PetscReal     lateral_size;                   /* m: y extent */
  PetscInt      lateral_cells;                  /* ny */
  PetscBool     periodic;                       /* lateral boundary periodic: generators and connectivity wrap in y */
  PetscReal     thickness[3];                   /* anode, separator, cathode, m */
  PhaseType     cathode_phase;                  /* what the cathode layer (or its particles) is: PHASE_ACTIVE, PHASE_COMPOSITE or PHASE_LITHIUM */
  PetscReal     amplitude, wavelength;          /* sinusoidal Li|SE interface, m */
  PetscReal     rms, correlation_length;        /* rough Li|SE interface, m */
  PetscInt      seed;                           /* rough and particles */
  PetscReal     contact_fraction, void_depth;   /* voids: share of the Li|SE interface in contact; depth of each void into the lithium, m */
  PetscInt      void_count;                     /* voids across lateral_size (period lateral_size/void_count) */
  PetscReal     particle_fraction;              /* particles: area fraction of the cathode layer */
  PetscReal     particle_radius, radius_spread; /* m; radii uniform in [r - spread, r + spread] */
} PhaseMapGenerator;
#define PHASE_MAP_LABELS 256 /* labels 0..255 of a map file can be mapped */

typedef enum { STEP_DISCHARGE, STEP_CHARGE, STEP_REST, STEP_HOLD } StepKind;
extern const char *const StepKinds[];

/* One protocol step. Unset limits are PETSC_INFINITY. Currents given as a
 * C-rate keep it in *_c_rate (>0) and are resolved against the capacity. */
typedef struct {
  StepKind  kind;
  PetscReal current;       /* A/m^2, magnitude */
  PetscReal c_rate;        /* 1/h, magnitude; 0 when a current was given */
  PetscReal voltage;       /* hold voltage, V */
  PetscReal until_voltage; /* cutoff, V */
  PetscReal until_current; /* hold ends below this |current|, A/m^2 */
  PetscReal until_c_rate;  /* same, as a C-rate */
  PetscReal duration;      /* s */
  char      text[256];     /* as written, for output */
} ProtocolStep;

#define MAX_PROTOCOL_STEPS 256
#define MAX_SWEEP_AXES 8 /* parameters one sweep varies */

/* The fully resolved run description produced by the config layer. */
typedef struct {
  PetscReal temperature; /* K */
  PetscReal area;        /* m^2, for reporting currents in A and capacities in Ah */

  PetscInt dim;
  /* a 2D mesh (dim 2): its lateral size, cells and walls, and a generator
   * or (kind GENERATOR_NONE) the map file with the phase of each label */
  PhaseMapGenerator mesh2d;
  char              phase_map[PETSC_MAX_PATH_LEN];
  PetscInt          phase_labels[PHASE_MAP_LABELS];

  PetscInt     nregions;
  Region       region[MAX_REGIONS]; /* along x: anode, separator, cathode */
  CathodeModel cathode_model;
  Collector    anode_collector, cathode_collector; /* not meshed: they count in the stack's mass and thickness */

  PetscInt     nsteps;
  ProtocolStep steps[MAX_PROTOCOL_STEPS];

  char      output_file[PETSC_MAX_PATH_LEN];      /* .h5; .xmf and .csv sit beside it */
  char      output_directory[PETSC_MAX_PATH_LEN]; /* of a sweep: its point files and summary */
  PetscReal output_interval;                      /* s; 0 = every accepted step */

  PetscReal rtol, atol;                 /* time-step error control, relative and absolute (mol/m^3) */
  PetscReal dt_initial, dt_max;         /* s */
  PetscReal depletion_fraction;         /* c/c_ref at an interface that counts as depleted */
  PetscReal newton_potential_tolerance; /* V: Newton stops when no potential moves more */
  PetscReal voltage_step;               /* V: largest change of the terminal voltage in one time step */
  PetscInt  max_steps;

  PetscBool quiet; /* no progress line (set by the driver, not the config) */

  char options_prefix[64]; /* PETSc options prefix of this run's solvers (set by the caller, not the config) */

  char restart_file[PETSC_MAX_PATH_LEN]; /* continue from the last state stored in this run file (set by the caller: -restart) */

  /* The sweep point this run is (set by the study layer, not the config):
   * its index among point_count points and its inputs, each as written
   * ("18 um", "[discharge at 1C until 3 V]") and as a number in the unit
   * of its axis (NaN for a text input). Output writes them to /sweep. */
  PetscInt  point_index;
  PetscInt  point_count; /* 0: not a sweep point */
  PetscInt  point_ninputs;
  char      point_keys[MAX_SWEEP_AXES][64];
  char      point_values[MAX_SWEEP_AXES][256];
  PetscReal point_numbers[MAX_SWEEP_AXES];
  char      point_units[MAX_SWEEP_AXES][32];

  char      config_file[PETSC_MAX_PATH_LEN];
  char     *resolved_yaml; /* every key with its resolved value, for provenance */
  PetscInt  ninputs;       /* files the run reads (config, material files, OCP tables): output never writes them */
  char    **inputs;
  PetscReal memory_limit; /* bytes a mesh may need (mesh.memory_limit) */
} Params;

/* ---- config layer: units.c, config.c, library.c ---- */

/* Parses "18 um", "1.2 mS/cm", "60 degC" into SI. dimension names the
 * expected kind (see units.c) so a wrong unit is an error naming key. */
PetscErrorCode UnitsParse(const char *text, const char *dimension, const char *key, PetscReal *si);

/* Reads a YAML config, applies command-line overrides (key=value pairs as
 * "section.key"), loads materials and validates. Writes nothing to disk. */
PetscErrorCode ParamsLoad(MPI_Comm comm, const char *file, PetscInt noverrides, char **override_keys, char **override_values, Params *p);
PetscErrorCode ParamsDestroy(Params *p);
PetscErrorCode ParamsView(const Params *p, FILE *fp); /* human-readable summary for `ionstack check` */
/* Maps "-separator_thickness" to "separator.thickness" when it names a config
 * key; returns PETSC_FALSE for options that belong to PETSc. */
PetscErrorCode ConfigOptionKey(const char *option, char *key, size_t len, PetscBool *is_config);

/* Command-line and options-database checks (config/options.c). Collect
 * reads every config key from the options database (-section_key, with the
 * given prefix) as override pairs for ParamsLoad, and lists the keys with
 * their units and defaults under -help. ArgumentsCheck refuses a stray word
 * (a value with spaces left unquoted) from argv[first] on. CheckUnused
 * refuses every option nobody read, naming the nearest config key;
 * config_only limits it to options that look like config keys. */
PetscErrorCode ConfigOptionsCollect(MPI_Comm comm, const char *prefix, PetscInt *n, char ***keys, char ***values);
PetscErrorCode ConfigOptionsFree(PetscInt n, char ***keys, char ***values);
PetscErrorCode ConfigArgumentsCheck(int argc, char **argv, int first);
PetscErrorCode ConfigOptionsCheckUnused(MPI_Comm comm, const char *prefix, PetscBool config_only);

PetscErrorCode MaterialsList(MPI_Comm comm, FILE *fp);
PetscErrorCode MaterialsShow(MPI_Comm comm, const char *name, FILE *fp);

/* ---- parameter studies: the sweep section (config/sweep.c) ---- */

/* One swept parameter: a config path and its values, each as written or
 * generated from a range ("18 um", "C/3", "[discharge at 1C until 3 V]")
 * and as a number in the axis's unit (NaN for text). */
typedef struct {
  char       key[64]; /* separator.thickness, cell.temperature, protocol, define.rate */
  PetscInt   n;
  char     **text;
  PetscReal *number;
  char       unit[32]; /* of the first value as written: um, degC, C (a C-rate); "" for a bare number or text */
} SweepAxis;

typedef enum { SWEEP_PRODUCT, SWEEP_ZIP } SweepMode;
extern const char *const SweepModes[];

/* The points of a sweep: the product of the axes (the first varies
 * slowest) or their zip. Every point is the config with the command
 * line's overrides, then the point's values, then its output file. */
typedef struct {
  char      config_file[PETSC_MAX_PATH_LEN];
  char      directory[PETSC_MAX_PATH_LEN]; /* output.directory */
  SweepMode mode;
  PetscInt  naxes;
  SweepAxis axis[MAX_SWEEP_AXES];
  PetscInt  npoints;
  PetscInt  noverrides; /* the command line's config keys */
  char    **keys, **values;
} Sweep;

/* Reads the sweep section of a config and validates every point with
 * ParamsLoad; a bad key, value or point is an error that names it. Writes
 * nothing. */
PetscErrorCode SweepLoad(MPI_Comm comm, const char *file, PetscInt noverrides, char **keys, char **values, Sweep *sw);
PetscErrorCode SweepDestroy(Sweep *sw);
/* The value of each axis at point `index`. */
void SweepPointValues(const Sweep *sw, PetscInt index, PetscInt value[MAX_SWEEP_AXES]);
/* The run file of point `index`: DIR/point_0007.h5. */
PetscErrorCode SweepPointFile(const Sweep *sw, PetscInt index, char *path, size_t len);
/* The parameters of point `index`, with its output file and point fields set. */
PetscErrorCode SweepPointParams(MPI_Comm comm, const Sweep *sw, PetscInt index, Params *p);
PetscErrorCode SweepList(MPI_Comm comm, const Sweep *sw, FILE *fp);

/* ---- studies: running a sweep (study/sweep.c) ---- */

typedef struct {
  PetscInt  ranks_per_run; /* ranks of each sub-communicator */
  PetscInt  index;         /* run this point alone; -1: every point */
  PetscBool quiet;
  int       argc;
  char    **argv;
} SweepOptions;

/* What a sweep did, the same on every rank. */
typedef struct {
  PetscInt  points, ran, skipped, failed, interrupted;
  PetscReal wall_seconds, solve_seconds; /* of the whole sweep; solves summed over its points */
} SweepTally;

/* Runs the points (all, or o->index) over sub-communicators of comm, rank 0
 * handing out the next point to whichever group is free; skips points
 * whose run file is final and from the same config, continues killed ones
 * from their stored state, and writes the summary unless o->index >= 0. */
PetscErrorCode SweepRun(MPI_Comm comm, const Sweep *sw, const SweepOptions *o, SweepTally *t);

/* ---- the sweep summary (output/summary.c) ---- */

/* What a sweep point's run file says of it: none yet; final and from the
 * same config (complete, or failed: running it again would fail again);
 * final from another config; interrupted (final, restartable); or only a
 * .part left by a killed run. */
typedef enum { POINT_NONE, POINT_DONE, POINT_STALE, POINT_INTERRUPTED, POINT_PARTIAL } PointState;
PetscErrorCode SummaryPointState(const char *path, const char *config, PointState *state);
/* A point that failed before its run file existed (a parameter combination
 * refused once the mesh or the solvers were built): a run file holding
 * only /provenance (status failed, the reason, the config) and /sweep. */
PetscErrorCode SummaryWritePointFailure(const char *path, const Params *p, const char *reason);
/* Adds /sweep/wall_time (s: the point's load, set-up, run and output) to a closed run file. */
PetscErrorCode SummaryStampWallTime(const char *path, PetscReal seconds);

/* Rebuilds DIR/summary.h5 and DIR/summary.csv from the point files in DIR:
 * one row per point (missing ones too), its inputs, every scalar metric,
 * status, end reason, solve and wall time. Rank 0 reads and writes;
 * *rows and *files are the same on every rank. */
PetscErrorCode SummaryCollect(MPI_Comm comm, const char *dir, PetscInt *rows, PetscInt *files);

/* ---- materials: material.c (laws with derivatives) ---- */

typedef struct {
  PetscReal kappa, dkappa_dc;
  PetscReal D, dD_dc;
  PetscReal tplus, chi;
} ElectrolyteState;

void ElectrolyteEvaluate(const Electrolyte *e, PetscReal c, ElectrolyteState *s);
/* Open-circuit potential U(theta) and dU/dtheta. */
void ActiveOcp(const ActiveMaterial *a, PetscReal theta, PetscReal *U, PetscReal *dU);
/* The built-in OCP fit of that name (case-insensitive: NMC811, LCO, NMC532, LFP); PETSC_FALSE for any other. */
PetscBool OcpModelFind(const char *name, OcpModel *model);
PetscReal Arrhenius(PetscReal value_ref, PetscReal activation_energy, PetscReal T_ref, PetscReal T);
/* Vogel-Fulcher-Tammann p = p0 exp(-B/(T - T0)) through its value at T_ref, B = pseudo_activation_energy / R. */
PetscReal VogelFulcherTammann(PetscReal value_ref, PetscReal pseudo_activation_energy, PetscReal T0, PetscReal T_ref, PetscReal T);
/* A metal's conductivity from a resistivity linear in T with coefficient alpha (1/K). */
PetscReal LinearResistivity(PetscReal conductivity_ref, PetscReal alpha, PetscReal T_ref, PetscReal T);
/* Effective conductivity of spherical filler particles (volume fraction phi,
 * conductivity sigma_f) in a matrix (sigma_m): Maxwell-Garnett, for a
 * dilute filler that stays dispersed, or the symmetric Bruggeman
 * (self-consistent) medium, in which the filler percolates at phi = 1/3. */
typedef enum { MEDIUM_MAXWELL_GARNETT, MEDIUM_BRUGGEMAN } EffectiveMedium;
extern const char *const EffectiveMedia[];
PetscReal                EffectiveMediumConductivity(EffectiveMedium model, PetscReal sigma_m, PetscReal sigma_f, PetscReal phi);
/* Theoretical areal capacity of the cathode between its stoichiometry limits, C/m^2. */
PetscReal CathodeCapacity(const Params *p);
/* The membrane (the first electrolyte region) and the cathode (the last region). */
const Region *ParamsMembrane(const Params *p);
const Region *ParamsCathode(const Params *p);
/* Steady limiting current density of a binary electrolyte layer, 2FDc0/((1-t+)L), A/m^2. */
PetscReal LimitingCurrent(const Electrolyte *e, PetscReal thickness);

/* ---- output layer: output.c ---- */

typedef struct _n_Output *Output;

typedef struct {
  PetscInt   ncells;
  PetscReal *x_faces;   /* ncells+1 (2D: nx+1), m */
  PetscReal *x_centres; /* ncells (2D: nx), m */
  PetscInt  *phase;     /* ncells, x fastest */
  /* a 2D grid (ny > 1): ncells = nx*ny; zero for a 1D mesh */
  PetscInt         nx, ny;
  const PetscReal *y_faces, *y_centres; /* ny+1, ny; m */
  PetscInt         ninterfaces;
  const PetscReal *interfaces; /* ninterfaces x 4: face centre x, y (m), normal (0 x, 1 y), area per unit depth (m) */
} OutputMesh;

typedef struct {
  const char      *name;   /* e.g. "electrolyte_concentration" */
  const char      *units;  /* e.g. "mol/m^3" */
  PetscInt         count;  /* number of values; 0 means one per cell */
  const PetscReal *values; /* rank 0 holds the gathered field; others may pass NULL */
} OutputField;

typedef struct {
  PetscReal time, voltage, current, capacity, energy;
  PetscInt  step, protocol_step;
} OutputSample;

/* Creates path.part (the final name appears only at OutputClose), writes
 * /provenance and /mesh. Collective; rank 0 writes. */
PetscErrorCode OutputCreate(MPI_Comm comm, const char *path, const Params *p, int argc, char **argv, const OutputMesh *mesh, Output *out);
PetscErrorCode OutputWriteFields(Output out, PetscReal time, PetscInt nfields, const OutputField *fields);
PetscErrorCode OutputAppendSample(Output out, const OutputSample *s);
/* The end of protocol step `index`: its text, end time and reason, its mean voltage, and the
 * charge (C/m^2, > 0 delivered) and energy (J/m^2) that passed in it. */
PetscErrorCode OutputWriteStepEnd(Output out, PetscInt index, const char *text, PetscReal time, const char *reason, PetscReal capacity,
                                  PetscReal energy, PetscReal mean_voltage);
PetscErrorCode OutputWriteMetric(Output out, const char *name, PetscReal value, const char *units);
PetscErrorCode OutputWriteMetricInt(Output out, const char *name, PetscInt64 value, const char *units); /* counters, as 64-bit integers */
/* A metric name may hold groups (stack/anode/thickness); a text metric is a string (a material name). */
PetscErrorCode OutputWriteMetricText(Output out, const char *name, const char *text);
/* A metric with a `note` attribute (why it is NaN); a NULL or empty note writes none. */
PetscErrorCode OutputWriteMetricNote(Output out, const char *name, PetscReal value, const char *units, const char *note);
/* How a run ended, as /provenance/status records it. */
typedef enum { OUTPUT_COMPLETE, OUTPUT_FAILED, OUTPUT_INTERRUPTED } OutputStatus;
extern const char *const OutputStatuses[];
/* Records the exit reason, writes the .xmf and .csv, renames .part to the final name. */
PetscErrorCode OutputClose(Output *out, const char *exit_reason, OutputStatus status);

/* ---- the stack mass model: output/metrics.c (docs/stack.md) ---- */

typedef struct {
  char      name[32]; /* anode_collector, anode, membrane, cathode, cathode_collector */
  char      material[160];
  PetscReal thickness;  /* m */
  PetscReal areal_mass; /* kg/m^2; NaN where a density is unknown */
} StackPart;
#define STACK_PARTS 5

/* ---- time integration and protocol: solve/ ---- */

typedef struct _n_Simulation *Simulation;

/* How a run ended. A physical end (cutoff, depletion, stoichiometry limit)
 * is RUN_COMPLETE; RUN_FAILED means the solver could not continue. */
typedef enum { RUN_COMPLETE, RUN_FAILED, RUN_INTERRUPTED } RunStatus;
extern const char *const RunStatuses[];

typedef struct {
  PetscInt  steps, rejected, newton, linear;    /* accepted time steps, rejected steps, Newton and linear iterations */
  PetscInt  domain_errors;                      /* residual evaluations that met an unphysical state (retried smaller) */
  PetscReal solve_seconds;                      /* wall time inside the time loop */
  PetscReal end_time;                           /* s */
  PetscReal discharge_capacity;                 /* C/m^2 delivered during discharge steps */
  PetscReal discharge_energy;                   /* J/m^2 delivered during discharge steps */
  PetscReal mean_discharge_voltage;             /* V */
  PetscReal charge_capacity;                    /* C/m^2 stored during charge and hold steps */
  PetscReal min_interface_concentration;        /* mol/m^3 over the run */
  PetscInt  steps_completed;                    /* protocol steps that ended normally */
  PetscReal step_end_time[MAX_PROTOCOL_STEPS];  /* s, for each protocol step run */
  PetscInt  step_end_event[MAX_PROTOCOL_STEPS]; /* the event that ended it (EventKind of protocol.h), -1 for its duration */
  PetscBool step_at_start[MAX_PROTOCOL_STEPS];  /* the step was past its limit as soon as it was applied */
  PetscReal step_capacity[MAX_PROTOCOL_STEPS];  /* C/m^2 that passed in each step, > 0 delivered (discharge) */
  PetscReal step_energy[MAX_PROTOCOL_STEPS];    /* J/m^2, > 0 delivered */
  /* the area-specific resistances of the first step with a current, at its start (uniform concentrations
     when it is the first step: no concentration overpotential yet), Ohm m^2 */
  PetscBool asr_measured;
  PetscInt  asr_step;
  PetscReal asr_time;
  PetscReal asr_membrane, asr_anode_interface, asr_cathode_interface, asr_cathode, asr_cathode_solid, asr_anode, asr_total;
  /* the anode's Li | SE interface at the same instant: peak and area-mean reaction current density (A/m^2) and its
     contact area per area of the stack (1 for a flat interface) */
  PetscReal interface_peak, interface_mean, contact_fraction;
  RunStatus status;
  PetscBool depleted;  /* the electrolyte at an interface ran out */
  int       interrupt; /* the signal that interrupted the run, 0 for none */
  char      end_reason[512];
} RunSummary;

/* Builds the mesh and the solvers; writes nothing. On failure it frees what
 * it built. Collective on comm. The run's PETSc options carry
 * p->options_prefix. */
PetscErrorCode SimulationCreate(MPI_Comm comm, Params *p, int argc, char **argv, Simulation *sim);
/* Finds the consistent state at t = 0 with the first protocol step applied
 * (potentials that carry its current), which also makes the solvers read
 * every option they use; writes nothing. SimulationRun calls it when the
 * caller has not. */
PetscErrorCode SimulationSetUp(Simulation sim);
/* Runs the protocol, writing output when p->output_file is set. A solver
 * failure or an interrupt is not an error: *summary says how the run ended,
 * and the output keeps what was computed. An output write error is an error
 * (PETSC_ERR_FILE_WRITE) after the file has been closed as failed. */
PetscErrorCode SimulationRun(Simulation sim, RunSummary *summary);
PetscErrorCode SimulationDestroy(Simulation *sim);
PetscErrorCode RunSummaryView(MPI_Comm comm, const Params *p, const RunSummary *s, FILE *fp);
/* Thickness and areal mass of each part of the stack, and the totals. */
void StackModel(const Params *p, StackPart parts[STACK_PARTS], PetscReal *thickness, PetscReal *areal_mass);
/* The stack for `ionstack check`: each part, the totals, the lithium
 * excess (N/P) and the theoretical specific energy and energy density. */
PetscErrorCode StackView(const Params *p, FILE *fp);
/* The 2D interface metrics: peak, mean and their ratio (the hotspot factor)
 * of the anode's reaction current, its contact area fraction, and the ASR
 * against the ideal flat 1D stack of the same layers. */
PetscErrorCode MetricsWrite2d(Output out, const Params *p, const RunSummary *s);
/* The area-specific resistance of the ideal flat stack of p's layers in the
 * small-current limit, Ohm m^2: each layer L/sigma and each electrode
 * interface RT/((alpha_a + alpha_c) F i0) + R_film; NaN (with why) for a
 * cathode that is not lithium, whose resistance has no closed form. */
PetscReal MetricsIdealAsr(const Params *p, const char **why);
/* /metrics/stack and the energy metrics of a finished run. */
PetscErrorCode MetricsWriteStack(Output out, const Params *p, const RunSummary *s);

/* Interrupts (solve/interrupt.c). SIGINT, SIGTERM (what batch systems send
 * at the time limit) and SIGHUP set a process-wide flag that a run checks
 * after every time step, so it stops with its output closed; a second
 * signal of the same kind ends the process at once. The flag is the one
 * piece of process-wide state: signals are. */
PetscErrorCode InterruptInstall(void);
int            InterruptPending(void); /* the signal received, or 0 */
void           InterruptClear(void);

/* ---- restart ---- */

/* Whether FILE holds a stored solver state a run could continue from, and its
 * simulated time; *usable is false (and no error) for a missing file, a file
 * without restart state, or one that cannot be read. Collective on comm. */
PetscErrorCode RestartProbe(MPI_Comm comm, const char *path, PetscBool *usable, PetscReal *time);

/* The raw solver state of one output time, which a run stores in /restart of
 * its file (output.c; docs/restart.md): named scalars (the protocol step,
 * the running integrals, the counters; src/solve/restart.c packs them) and
 * the state vector in the model's natural cell order, so that any number of
 * ranks can read it back. names is comma-separated and the same at every
 * call of a run. */
typedef struct {
  PetscReal        time; /* s */
  PetscInt         nscalars;
  const char      *names;
  const PetscReal *scalars;
  PetscInt         nstate;
  const PetscReal *state; /* rank 0 */
} OutputRestart;
/* Stores r after the rows written so far (the two-phase design of output.c),
 * overwriting the state stored the time before last. Collective. */
PetscErrorCode OutputWriteRestart(Output out, const OutputRestart *r);

/* A run file read back for a restart: rank 0 reads the whole file into
 * memory (the new run may replace it: its own .part). OutputSourceGet gives
 * every rank the resolved config it was run with, its number of mesh cells
 * and its last stored state (the state values on rank 0 only).
 * OutputContinue copies into a new output, before anything else is written
 * to it, every field, time series and protocol row up to that state, and
 * /provenance/restarted_from; the next OutputWriteRestart puts the file on
 * disk. Errors name the file. Collective. */
typedef struct _n_OutputSource *OutputSource;

PetscErrorCode OutputSourceOpen(MPI_Comm comm, const char *path, OutputSource *src);
PetscErrorCode OutputSourceGet(OutputSource src, const char **config, PetscInt *ncells, OutputRestart *r);
PetscErrorCode OutputContinue(Output out, OutputSource src);
PetscErrorCode OutputSourceDestroy(OutputSource *src);
