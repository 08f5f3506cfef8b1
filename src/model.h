/* Internal interfaces between the mesh, the physics kernels, the assembly and
 * the time integration. Not part of the public API. */
#pragma once
#include "ionstack.h"

/* ---- physics kernels (transport.c, kinetics.c): pointwise, no grid ---- */

/* Each face kernel returns the flux from the left state uL to the right state
 * uR (positive toward R), per unit area, for both fields: f[FIELD_C] is the
 * lithium flux times F (A/m^2, so every residual row is in A/m^2) and
 * f[FIELD_PHI] the current density. J[a][b] = d f[a] / d (uL[0], uL[1],
 * uR[0], uR[1])[b]. dL, dR are the centre-to-face distances; dR = 0 makes uR a
 * boundary value. */
typedef struct {
  PetscReal f[FIELD_COUNT];
  PetscReal J[FIELD_COUNT][2 * FIELD_COUNT];
} FaceFlux;

/* Conductance of two half cells in series, 1/(dL/kL + dR/kR): the harmonic mean. */
PetscReal FaceConductance(PetscReal kL, PetscReal kR, PetscReal dL, PetscReal dR, PetscReal *dG_dkL, PetscReal *dG_dkR);

void FluxOhm(PetscReal sigmaL, PetscReal sigmaR, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out);
void FluxSolidDiffusion(PetscReal DL, PetscReal DR, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out);
/* Concentrated-solution binary electrolyte (SPEC 2.2); phi is the potential a
 * lithium reference electrode would read. wL, wR scale kappa and D (the
 * transport factor of a porous composite, 1 in a membrane). */
void FluxBinaryElectrolyte(const Electrolyte *eL, PetscReal wL, const Electrolyte *eR, PetscReal wR, PetscReal T, const PetscReal uL[],
                           const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out);

/* One electrode | electrolyte interface: the electrode cell state (c_s, phi_s)
 * and the electrolyte cell state (c, phi_e) with their centre-to-face
 * distances. The kernel reconstructs the face values from the half-cell
 * fluxes, so the two-point scheme stays exact for linear profiles. */
typedef struct {
  const Kinetics       *kinetics;
  const Electrolyte    *electrolyte;
  const ActiveMaterial *active; /* NULL for lithium metal: U = 0, no solid diffusion */
  PetscReal             T;
  PetscReal             sigma_s;  /* electrode conductivity */
  PetscReal             d_s, d_e; /* centre-to-face distances */
} InterfaceSetup;

typedef struct {
  PetscReal i;          /* anodic current density, electrode -> electrolyte, A/m^2 */
  PetscReal di[4];      /* d i / d (c_s, phi_s, c, phi_e) */
  PetscReal eta;        /* surface overpotential, V */
  PetscReal c_face;     /* electrolyte concentration at the face */
  PetscReal theta_face; /* solid stoichiometry at the face (active) */
  PetscBool in_domain;  /* FALSE when the state is unphysical (c <= 0, theta outside (0,1)), or no Butler-Volmer root within 1e-10 (|i| + i0_face)
                           keeps the face values in range */
} InterfaceFlux;

void InterfaceEvaluate(const InterfaceSetup *s, const PetscReal u_electrode[], const PetscReal u_electrolyte[], InterfaceFlux *out);

/* ---- phases (phase.c): what each phase solves for ---- */

/* The unknowns a cell can carry. c_e: electrolyte (salt, or Li+) concentration;
 * c_s: lithium in the solid (one per cell in a dense film, one per radial
 * shell in a composite); c_surf: a composite particle's surface
 * concentration, algebraic, so that Butler-Volmer sees its own unknown and
 * needs no reconstruction inside the kinetics. */
typedef enum { VAR_C_E, VAR_PHI_E, VAR_PHI_S, VAR_C_S, VAR_C_SURF, VAR_COUNT } VarKind;

typedef struct {
  PetscBool has[VAR_COUNT];  /* unknown kinds the phase can carry */
  PetscBool ions, electrons; /* it conducts Li+ (faces join its c_e, phi_e) / electrons (its phi_s) */
} PhaseInfo;

/* The block of one cell: how many of each unknown, and where each starts. */
typedef struct {
  PetscInt count[VAR_COUNT], offset[VAR_COUNT], ndof;
} CellLayout;

const PhaseInfo *PhaseGet(PhaseType phase);
void             RegionCellLayout(const Region *r, CellLayout *l);
PetscBool        VarIsPotential(VarKind v);
PetscReal        RegionFixedValue(const Region *r, VarKind v);
void             RegionInitialState(const Region *r, const CellLayout *l, PetscScalar *u);

/* ---- composite cells (particle.c) ---- */

typedef struct {
  const Region    *region;
  PetscReal        T;
  PetscReal        volume;           /* cell volume, m^dim */
  PetscReal        area;             /* a, reacting area per volume, 1/m */
  PetscReal        active_fraction;  /* eps_am */
  PetscReal        radius;           /* r_p, m */
  PetscReal        contact_fraction; /* share of the particle surface that reacts */
  const PetscReal *xi;               /* shells + 1 faces in r/r_p */
} CompositeCell;

void      ShellFaces(PetscInt n, PetscReal grading, PetscReal xi[]);
PetscReal ShellVolumeShare(const PetscReal xi[], PetscInt j);
/* Entries of the cell's own Jacobian block (offsets within the block); with
 * rows = NULL only counts them. Reaction solves Butler-Volmer at the
 * particle surface; Evaluate adds that reaction and the shell fluxes to f
 * and writes J in the pattern's order (either may be NULL). */
PetscInt  CompositeCellPattern(const CellLayout *l, PetscInt rows[], PetscInt cols[]);
void      CompositeReaction(const CompositeCell *cc, const CellLayout *l, const PetscScalar *u, InterfaceFlux *k);
void      CompositeCellEvaluate(const CompositeCell *cc, const CellLayout *l, const PetscScalar *u, const InterfaceFlux *k, PetscScalar *f,
                                PetscScalar *J);
PetscReal CompositeShellScale(const CompositeCell *cc, PetscInt n, PetscInt j);
PetscReal CompositeSurfaceScale(const CompositeCell *cc, PetscInt n);

/* ---- mesh (mesh.c) ---- */

typedef enum { SIDE_XMIN, SIDE_XMAX, SIDE_YMIN, SIDE_YMAX, SIDE_COUNT } Side;

/* What a face kernel sees of a cell: the pair (c, phi) of one carrier. The
 * ionic view is (c_e, phi_e); the solid view is (c_s, phi_s) of a dense
 * active film, and phi_s alone elsewhere. */
typedef enum { VIEW_ION, VIEW_SOLID, VIEW_COUNT } View;
/* The unknown kind behind field a of a view: (c_e, phi_e) or (c_s, phi_s). */
VarKind ViewVar(View view, FieldIndex a);

typedef enum {
  FACE_ION,       /* Li+ transport between two ion conductors (membrane or composite pores) */
  FACE_ELECTRON,  /* Ohm between two electron conductors */
  FACE_SOLID,     /* inside a dense active solid: diffusion and Ohm */
  FACE_INTERFACE, /* electrode | electrolyte: Butler-Volmer */
  FACE_BOUNDARY   /* a domain boundary of one view: cell L, no R */
} FaceKind;

/* One flux record. A geometric face carries one record per carrier that
 * crosses it (a composite | composite face has an ionic and an electronic
 * one). col[s][a] is the ghosted local index of the kernel's field a of
 * side s (s = 0: L), -1 where the cell does not solve for it (then fixed[s][a]
 * is its value); row[s][a] the index of its residual row in the rank's
 * array, -1 for a ghost cell or an absent field. */
typedef struct {
  FaceKind  kind;
  View      view; /* FACE_BOUNDARY: the carrier */
  PetscInt  L, R; /* ghosted local cell indices (R = -1 on a boundary) */
  PetscInt  side; /* boundary side, or -1 */
  PetscInt  col[2][FIELD_COUNT];
  PetscInt  row[2][FIELD_COUNT];
  PetscReal fixed[2][FIELD_COUNT];
  PetscReal dL, dR;         /* centre-to-face distances, m */
  PetscReal area;           /* face area per unit depth (1 in 1D), m^(dim-1) */
  PetscBool electrode_left; /* FACE_INTERFACE: the electrode is cell L */
  PetscInt  interface;      /* FACE_INTERFACE: index among the interface faces */
  PetscBool counted;        /* this rank reports the face (its right or boundary cell is owned); faces between ranks are listed on both */
  PetscInt  normal;         /* 0: an x face (L at lower x), 1: a y face (L at lower y) */
  PetscReal x, y;           /* face centre */
} Face;

typedef enum {
  BC_FLUX, /* outward flux given (0: no flux) */
  BC_VALUE /* value given at the boundary face */
} BoundaryKind;

typedef struct {
  BoundaryKind kind;
  PetscReal    value;
} Boundary;

/* What a cell's kernels need besides its state: effective properties of
 * the region's materials at the cell's fractions (1 and the bulk values
 * outside a composite). */
typedef struct {
  PetscReal ion_transport;   /* multiplies kappa and D of the electrolyte: eps_el^b, or 1 */
  PetscReal sigma_s;         /* effective electronic conductivity, S/m */
  PetscReal area;            /* reacting area per volume, 1/m (composite) */
  PetscReal active_fraction; /* eps_am */
  PetscReal electrolyte_fraction;
  PetscReal carbon_fraction;
  PetscReal radius; /* particle radius, m */
} CellProps;

/* The properties at fractional position s across region r (0: separator side). phase.c */
void RegionCellProps(const Region *r, PetscReal s, CellProps *c);

/* A manufactured-solution source: s[field] per unit volume at (x, y, t),
 * for the primary view of the phase (ionic for an electrolyte, solid else). */
typedef PetscErrorCode (*SourceFunction)(PetscReal x, PetscReal y, PetscReal t, PhaseType phase, PetscReal s[], void *ctx);
/* A boundary value that changes in time (manufactured solutions), at the face centre (x, y). */
typedef PetscErrorCode (*BoundaryFunction)(Side side, PetscReal x, PetscReal y, PetscReal t, PetscReal u[], void *ctx);

typedef struct {
  MPI_Comm comm;
  Params  *p;
  DM       da; /* one dof per cell: the partition of the grid, not the unknowns */
  PetscInt dim, nx, ny;

  /* global geometry, replicated (x along the stack, y lateral) */
  PetscReal *x_faces, *x_centres, *hx, *y_faces, *y_centres, *hy;
  PetscReal  lateral;        /* y extent: the cross-section per unit depth (1 in 1D, where everything is per unit area) */
  PetscBool  periodic;       /* the lateral boundaries are periodic (else zero flux) */
  PetscInt  *phase, *region; /* nx*ny cells, x fastest */
  PetscInt  *cell_offset;    /* nx*ny: global index of the cell's first unknown (PETSc ordering) */
  CellLayout layout[MAX_REGIONS];
  PetscReal *xi[MAX_REGIONS];            /* shell faces of each composite region */
  PetscInt   pattern_count[MAX_REGIONS]; /* a composite cell's own Jacobian entries */
  PetscInt  *pattern_rows[MAX_REGIONS];  /* their rows and columns in the cell block */
  PetscInt  *pattern_cols[MAX_REGIONS];

  /* the ghosted local patch */
  PetscInt               gxs, gys, gxm, gym, xs, ys, xm, ym;
  PetscInt               nlocal;       /* gxm*gym cells */
  PetscInt              *local_phase;  /* nlocal */
  PetscInt              *local_region; /* nlocal */
  PetscInt              *local_cell;   /* nlocal: global cell index */
  PetscInt              *local_offset; /* nlocal: index of the cell's first unknown in the ghosted local state */
  PetscInt              *owned_offset; /* nlocal: same in the rank's global array, -1 for a ghost */
  PetscReal             *local_volume; /* nlocal, m^dim */
  PetscReal             *local_x;      /* nlocal, cell-centre x */
  PetscReal             *local_y;      /* nlocal, cell-centre y */
  CellProps             *props;        /* nlocal */
  PetscInt               nowned;       /* unknowns the rank owns */
  PetscInt               nghosted;     /* unknowns of the ghosted patch */
  PetscInt              *local_global; /* nghosted: global index of each local unknown */
  PetscReal             *storage;      /* nowned: coefficient of du/dt in its row (F V eps), 0 for an algebraic unknown */
  PetscBool             *potential;    /* nowned: the unknown is a potential */
  ISLocalToGlobalMapping l2g;
  VecScatter             to_local; /* NULL on one rank: the global array is the local one */
  Vec                    Ulocal;
  PetscBool              no_ghosts;

  PetscInt nfaces;
  Face    *faces;       /* flux records of every face of an owned cell; each rank adds fluxes to its own cells only */
  PetscInt ninterfaces; /* global number of interface faces: the x faces in order of their left cell, then the y faces in order of their upper cell */
  PetscReal     *interface_geometry; /* ninterfaces x 4, replicated: face centre x, y, normal (0 x, 1 y), area */
  FaceFlux      *flux;               /* nfaces: the fluxes of the last state assembled (residual.c) */
  InterfaceFlux *reaction;           /* nlocal (1 without composite cells): the composite reaction of each owned composite cell at that state */
  PetscBool     *flux_ok;            /* nfaces: that state was physical at the face */
  PetscScalar   *flux_u;             /* nghosted: the ghosted state they belong to */
  PetscReal      flux_time;          /* and its time; NAN before the first */

  Boundary         bc[SIDE_COUNT][VIEW_COUNT][FIELD_COUNT];
  BoundaryFunction bc_function; /* overrides bc values when set */
  void            *bc_ctx;
  SourceFunction   source;
  void            *source_ctx;
  PetscBool        domain_error;  /* set by the residual on an unphysical state (on every rank) */
  PetscInt         domain_errors; /* how many residual evaluations met one */
  Vec              held;          /* while set, the unknowns with a time derivative are held at these values (ModelHold) */
  Vec              row_scale;     /* turns each residual row into the units of its unknown (V, mol/m^3) */
  PetscCount       njac;          /* Jacobian entries in assembly order (residual.c) */
  PetscScalar     *jac_values;    /* njac */
  PetscObjectId    jac_matrix;    /* the matrix whose COO pattern is set, 0 for none */
} Model;

PetscErrorCode ModelCreate(MPI_Comm comm, Params *p, Model **m);
/* A single-region mesh of n cells over [0, length] for verification tests:
 * region index `region` of p, with its phase set to `phase`. */
PetscErrorCode ModelCreateUniform(MPI_Comm comm, Params *p, PhaseType phase, PetscInt n, PetscReal length, Model **m);
/* The same on nx x ny cells over [0, length] x [0, width], laterally periodic or zero-flux. */
PetscErrorCode ModelCreateUniform2d(MPI_Comm comm, Params *p, PhaseType phase, PetscInt nx, PetscInt ny, PetscReal length, PetscReal width,
                                    PetscBool periodic, Model **m);
/* A 2D mesh from phase labels and regions per cell (x fastest), with the
 * column widths hx and the row height hy. */
PetscErrorCode ModelCreateFromCells(MPI_Comm comm, Params *p, PetscInt nx, PetscInt ny, const PetscReal *hx, PetscReal hy, const PetscInt *phase,
                                    const PetscInt *region, PetscBool periodic, Model **m);
PetscErrorCode ModelDestroy(Model **m);
PetscErrorCode ModelCreateVector(Model *m, Vec *U);
PetscErrorCode ModelCreateMatrix(Model *m, Mat *J);
PetscErrorCode ModelInitialState(Model *m, Vec U);
/* Holds every unknown with a time derivative at its value in U, so that the
 * residual determines the algebraic fields (potentials) alone: the state
 * consistent with a new boundary condition at the same instant. ModelRelease
 * ends it. */
PetscErrorCode ModelHold(Model *m, Vec U);
PetscErrorCode ModelRelease(Model *m);
/* The state with its ghost cells (the global array itself on one rank). */
PetscErrorCode ModelStateGet(Model *m, Vec U, const PetscScalar **u);
PetscErrorCode ModelStateRestore(Model *m, Vec U, const PetscScalar **u);
/* The composite cell of local cell k (its region must be a composite). */
void ModelCompositeCell(const Model *m, PetscInt k, CompositeCell *cc);
/* Index in the rank's array of unknown j of kind v of global cell `cell`,
 * or -1 when the rank does not own the cell or the cell lacks it. */
PetscInt ModelUnknown(const Model *m, PetscInt cell, VarKind v, PetscInt j);
/* What each owned unknown is to a preconditioner: a potential (0), a
 * concentration that moves between cells (1: c_e, a dense solid's c_s), or
 * one held inside its cell (2: a composite's shells and surface). */
void ModelUnknownKinds(const Model *m, PetscInt kind[]);
/* Largest update of the potentials and of the concentrations in dx. */
PetscErrorCode ModelUpdateNorms(Model *m, Vec dx, PetscReal *dphi, PetscReal *dc);

/* ---- assembly (residual.c): the only code that walks the grid ---- */

/* F(t, U, Udot) = 0 with rows in A/m^2 (per unit area in 1D). */
PetscErrorCode ModelIFunction(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void *ctx);
PetscErrorCode ModelIJacobian(TS ts, PetscReal t, Vec U, Vec Udot, PetscReal shift, Mat J, Mat P, void *ctx);

/* Quantities read off a state: terminal voltage and current, the interface
 * currents and face (or particle-surface) concentrations. Collective. */
typedef struct {
  PetscReal voltage;                     /* phi_s at the cathode end minus phi_s at the anode end */
  PetscReal current;                     /* current density leaving the cathode end, A/m^2 (>0 discharge) */
  PetscReal min_interface_concentration; /* min over electrolyte faces of Li|SE and active|SE interfaces, mol/m^3 */
  PetscReal min_theta, max_theta;        /* stoichiometry at the active | electrolyte faces and particle surfaces */
  PetscReal lithium_inventory;           /* mol/m^2 of cyclable Li in the electrolyte and the solids */
} Observation;

PetscErrorCode ModelObserve(Model *m, PetscReal t, Vec U, Observation *obs);

/* Where the power I (U - V) of a state goes, W/m^2: ohmic transport in each
 * region (ionic and electronic), the interface losses (kinetics and film)
 * on the anode's and on the cathode's side of the membrane, and the solid
 * diffusion between the cathode solid's cell (or outer shell) value and its
 * surface, U(theta) - U(theta_surface). With a single-ion electrolyte the
 * parts add up to the whole loss; each over I^2 is a resistance. Collective. */
typedef struct {
  PetscReal region[MAX_REGIONS];
  PetscReal anode_interface, cathode_interface, cathode_solid;
} Losses;
PetscErrorCode ModelLosses(Model *m, PetscReal t, Vec U, Losses *losses);
/* The anode's lithium | electrolyte interface: the largest |i| of its faces,
 * the area-mean i, and its area per unit of the stack's cross-section. Collective. */
PetscErrorCode ModelAnodeInterface(Model *m, PetscReal t, Vec U, PetscReal *peak, PetscReal *mean, PetscReal *contact);
/* Interface current density per interface face (rank 0 gets all), A/m^2. */
PetscErrorCode ModelInterfaceCurrents(Model *m, PetscReal t, Vec U, PetscReal *values);
/* Per-cell output fields, gathered on rank 0 into values[f * ncells + cell]
 * for f over ModelFieldNames (NaN where a cell lacks the field). */
#define MODEL_FIELD_COUNT 8
extern const char *const ModelFieldNames[MODEL_FIELD_COUNT];
extern const char *const ModelFieldUnits[MODEL_FIELD_COUNT];
PetscErrorCode           ModelCellFields(Model *m, PetscReal t, Vec U, PetscReal *values);
/* Some region of the mesh reports field f: the output writes only those. */
PetscBool ModelHasField(const Model *m, PetscInt f);

/* ---- access for verification tests (solver.c) ---- */
PetscErrorCode SimulationGetModel(Simulation sim, Model **m, Vec *U, TS *ts);
