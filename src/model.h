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
 * lithium reference electrode would read. */
void FluxBinaryElectrolyte(const Electrolyte *e, PetscReal T, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *out);

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

/* ---- mesh (mesh.c) ---- */

typedef enum { SIDE_XMIN, SIDE_XMAX, SIDE_YMIN, SIDE_YMAX, SIDE_COUNT } Side;

typedef enum { LAYER_ANODE, LAYER_SEPARATOR, LAYER_CATHODE } LayerIndex;

typedef enum {
  FACE_NONE,        /* a void on either side, or no transport across */
  FACE_CONDUCTION,  /* electron conductors: Ohm */
  FACE_ELECTROLYTE, /* inside the electrolyte */
  FACE_SOLID,       /* inside an active solid: diffusion and Ohm */
  FACE_INTERFACE,   /* electrode | electrolyte: Butler-Volmer */
  FACE_BOUNDARY     /* a domain boundary: cell L, no R */
} FaceKind;

typedef struct {
  FaceKind  kind;
  PetscInt  L, R;           /* ghosted local cell indices (R = -1 on a boundary) */
  PetscInt  side;           /* boundary side, or -1 */
  PetscReal dL, dR;         /* centre-to-face distances, m */
  PetscReal area;           /* face area per unit depth (1 in 1D), m^(dim-1) */
  PetscBool electrode_left; /* FACE_INTERFACE: the electrode is cell L */
  PetscInt  interface;      /* FACE_INTERFACE: index among the interface faces */
  PetscBool counted;        /* this rank reports the face (its right or boundary cell is owned); faces between ranks are listed on both */
  PetscReal x;              /* face position along x */
} Face;

typedef enum {
  BC_FLUX, /* outward flux given (0: no flux) */
  BC_VALUE /* value given at the boundary face */
} BoundaryKind;

typedef struct {
  BoundaryKind kind;
  PetscReal    value;
} Boundary;

/* A manufactured-solution source: s[field] per unit volume at (x, t). */
typedef PetscErrorCode (*SourceFunction)(PetscReal x, PetscReal t, PhaseType phase, PetscReal s[], void *ctx);
/* A boundary value that changes in time (manufactured solutions). */
typedef PetscErrorCode (*BoundaryFunction)(Side side, PetscReal t, PetscReal u[], void *ctx);

typedef struct {
  MPI_Comm comm;
  Params  *p;
  DM       da;
  PetscInt dim, nx, ny;

  /* global geometry, replicated (x along the stack, y lateral) */
  PetscReal *x_faces, *x_centres, *hx, *y_faces, *hy;
  PetscInt  *phase, *layer; /* nx*ny cells, x fastest */

  /* the ghosted local patch */
  PetscInt     gxs, gys, gxm, gym, xs, ys, xm, ym;
  PetscInt     nlocal;       /* gxm*gym */
  PetscInt    *local_phase;  /* nlocal */
  PetscInt    *local_layer;  /* nlocal */
  PetscInt    *local_owned;  /* nlocal: index of the cell in the rank's global arrays, -1 for a ghost */
  PetscBool    no_ghosts;    /* the patch is all owned (one rank): global arrays serve as local ones */
  PetscReal   *local_volume; /* nlocal, m^dim */
  PetscReal   *local_x;      /* nlocal, cell-centre x */
  PetscInt     nfaces;
  Face        *faces;       /* every face of an owned cell; each rank adds fluxes to its own cells only */
  PetscInt     ninterfaces; /* global number of interface faces */
  FaceFlux    *flux;        /* nfaces: the fluxes of the last state assembled (residual.c) */
  PetscBool   *flux_ok;     /* nfaces: that state was physical at the face */
  PetscScalar *flux_u;      /* nlocal*FIELD_COUNT: the ghosted state they belong to */
  PetscReal    flux_time;   /* and its time; NAN before the first */

  Boundary         bc[SIDE_COUNT][FIELD_COUNT];
  BoundaryFunction bc_function; /* overrides bc values when set */
  void            *bc_ctx;
  SourceFunction   source;
  void            *source_ctx;
  PetscBool        domain_error;  /* set by the residual on an unphysical state (on every rank) */
  PetscInt         domain_errors; /* how many residual evaluations met one */
  Vec              held;          /* while set, the fields with a time derivative are held at these values (ModelHold) */
  Vec              row_scale;     /* turns each residual row into the units of its unknown (V, mol/m^3) */
  PetscCount       njac;          /* Jacobian entries in assembly order (residual.c) */
  PetscScalar     *jac_values;    /* njac */
  PetscObjectId    jac_matrix;    /* the matrix whose COO pattern is set, 0 for none */
} Model;

PetscErrorCode ModelCreate(MPI_Comm comm, Params *p, Model **m);
/* A single-phase mesh of n cells over [0, length] for verification tests. */
PetscErrorCode ModelCreateUniform(MPI_Comm comm, Params *p, PhaseType phase, PetscInt n, PetscReal length, Model **m);
PetscErrorCode ModelDestroy(Model **m);
PetscErrorCode ModelInitialState(Model *m, Vec U);
/* Holds every field with a time derivative at its value in U, so that the
 * residual determines the algebraic fields (potentials) alone: the state
 * consistent with a new boundary condition at the same instant. ModelRelease
 * ends it. */
PetscErrorCode ModelHold(Model *m, Vec U);
PetscErrorCode ModelRelease(Model *m);
/* Held value of a field a phase does not solve for. */
PetscReal ModelFixedValue(const Model *m, PhaseType phase, FieldIndex f);
PetscBool PhaseHasField(const Params *p, PhaseType phase, FieldIndex f);
PetscBool PhaseHasDynamics(const Params *p, PhaseType phase); /* FIELD_C has a time derivative */

/* ---- assembly (residual.c): the only code that walks the grid ---- */

/* F(t, U, Udot) = 0 with rows in A/m^2 (per unit area in 1D). */
PetscErrorCode ModelIFunction(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void *ctx);
PetscErrorCode ModelIJacobian(TS ts, PetscReal t, Vec U, Vec Udot, PetscReal shift, Mat J, Mat P, void *ctx);

/* Quantities read off a state: terminal voltage and current, the interface
 * currents and face concentrations. Collective. */
typedef struct {
  PetscReal voltage;                     /* phi_s at the cathode end minus phi_s at the anode end */
  PetscReal current;                     /* current density leaving the cathode end, A/m^2 (>0 discharge) */
  PetscReal min_interface_concentration; /* min over electrolyte faces of Li|SE and active|SE interfaces, mol/m^3 */
  PetscReal min_theta, max_theta;        /* stoichiometry at the active | electrolyte faces */
  PetscReal lithium_inventory;           /* mol/m^2 of cyclable Li in electrolyte + active cells */
} Observation;

PetscErrorCode ModelObserve(Model *m, PetscReal t, Vec U, Observation *obs);
/* Interface current density per interface face (rank 0 gets all), A/m^2. */
PetscErrorCode ModelInterfaceCurrents(Model *m, PetscReal t, Vec U, PetscReal *values);
/* Cell current density (x component), averaged from the two faces, A/m^2. */
PetscErrorCode ModelCellCurrents(Model *m, PetscReal t, Vec U, Vec currents);

/* ---- access for verification tests (solver.c) ---- */
PetscErrorCode SimulationGetModel(Simulation sim, Model **m, Vec *U, TS *ts);
