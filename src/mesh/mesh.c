/* The mesh: a cell-centred DMDA grid with one phase per cell, the layer
 * geometry of a 1D stack (optionally graded toward the layer ends), and the
 * face list that the assembly walks. A face between two ranks is listed on
 * both, and each adds the flux to its own cell only, so no rank writes into
 * another's rows (owner computes). Directions with one cell have no faces,
 * which is what makes 1D and 2D one loop. No physics here. */
#include "model.h"

PetscBool PhaseHasField(const Params *p, PhaseType phase, FieldIndex f)
{
  switch (phase) {
  case PHASE_LITHIUM:
  case PHASE_COLLECTOR:
    return (PetscBool)(f == FIELD_PHI);
  case PHASE_ELECTROLYTE:
    return (PetscBool)(f == FIELD_PHI || p->electrolyte.kind == ELECTROLYTE_BINARY);
  case PHASE_ACTIVE:
    return PETSC_TRUE;
  default:
    return PETSC_FALSE;
  }
}

PetscBool PhaseHasDynamics(const Params *p, PhaseType phase)
{
  return (PetscBool)((phase == PHASE_ELECTROLYTE && p->electrolyte.kind == ELECTROLYTE_BINARY) || phase == PHASE_ACTIVE);
}

/* A single-ion conductor keeps its Li+ concentration; other absent fields are zero. */
PetscReal ModelFixedValue(const Model *m, PhaseType phase, FieldIndex f)
{
  if (phase == PHASE_ELECTROLYTE && f == FIELD_C) return m->p->electrolyte.concentration;
  return 0.0;
}

/* Cell widths of one layer, refined geometrically toward the ends given
 * (start: the end at lower x): the cell m places from the nearer refined
 * end is r^m times the end cell, with r = grading^(1/M) for the largest such
 * m, M, so the largest cell is exactly `grading` times the smallest, and
 * doubling the cells at a fixed grading halves every cell (r -> sqrt(r)): a
 * refinement family with the scheme's second order. An end that meets a
 * no-flux collector has no boundary layer and is left coarse. */
static void LayerWidthsToward(const Layer *layer, PetscBool start, PetscBool end, PetscReal *w)
{
  const PetscInt  n   = layer->cells;
  const PetscInt  far = start && end ? (n - 1) / 2 : (start || end ? n - 1 : 0);
  const PetscReal r   = layer->grading > 1.0 && far > 0 ? PetscPowReal(layer->grading, 1.0 / far) : 1.0;
  PetscReal       sum = 0;

  for (PetscInt k = 0; k < n; k++) {
    const PetscInt m = start && end ? PetscMin(k, n - 1 - k) : (start ? k : (end ? n - 1 - k : 0));
    w[k]             = PetscPowReal(r, (PetscReal)m);
    sum += w[k];
  }
  for (PetscInt k = 0; k < n; k++)
    w[k] *= layer->thickness / sum;
}

static FaceKind FaceKindOf(PhaseType a, PhaseType b)
{
  const PetscBool ea = (PetscBool)(a == PHASE_LITHIUM || a == PHASE_COLLECTOR || a == PHASE_ACTIVE);
  const PetscBool eb = (PetscBool)(b == PHASE_LITHIUM || b == PHASE_COLLECTOR || b == PHASE_ACTIVE);

  if (a == PHASE_VOID || b == PHASE_VOID) return FACE_NONE;
  if (a == PHASE_ELECTROLYTE && b == PHASE_ELECTROLYTE) return FACE_ELECTROLYTE;
  if (a == PHASE_ACTIVE && b == PHASE_ACTIVE) return FACE_SOLID;
  if (ea && eb) return FACE_CONDUCTION;
  if ((a == PHASE_ELECTROLYTE && (b == PHASE_LITHIUM || b == PHASE_ACTIVE)) || (b == PHASE_ELECTROLYTE && (a == PHASE_LITHIUM || a == PHASE_ACTIVE)))
    return FACE_INTERFACE;
  return FACE_NONE; /* electrolyte | collector blocks both carriers */
}

/* Rows are balances in A/m^2 whose size follows the cell conductance: a
 * lithium cell has sigma/h ~ 1e12 A/(m^2 V). Dividing each row by its
 * conductance (V / h^2 sigma, V / h^2 F D) expresses it in volts or mol/m^3,
 * so Newton tolerances mean the same thing in every phase. */
static PetscErrorCode ModelRowScale(Model *m)
{
  const Params *p = m->p;
  PetscScalar **s;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(m->da, &m->row_scale));
  PetscCall(DMDAVecGetArrayDOF(m->da, m->row_scale, &s));
  for (PetscInt i = m->xs; i < m->xs + m->xm; i++) {
    const PhaseType ph    = (PhaseType)m->phase[i];
    const PetscReal h2    = m->hx[i] * m->hx[i] / (m->hx[i] * m->hy[0]);
    PetscReal       sigma = 1.0, D = 0.0;
    if (ph == PHASE_ELECTROLYTE)
      sigma = p->electrolyte.conductivity, D = p->electrolyte.diffusivity;
    else if (ph == PHASE_ACTIVE)
      sigma = p->active.conductivity, D = p->active.diffusivity;
    else if (ph == PHASE_LITHIUM || ph == PHASE_COLLECTOR)
      sigma = p->lithium_conductivity;
    s[i][FIELD_PHI] = PhaseHasField(p, ph, FIELD_PHI) ? h2 / sigma : 1.0;
    s[i][FIELD_C]   = PhaseHasField(p, ph, FIELD_C) && D > 0 ? h2 / (FARADAY * D) : 1.0;
  }
  PetscCall(DMDAVecRestoreArrayDOF(m->da, m->row_scale, &s));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModelSetUp(Model *m)
{
  PetscInt nf = 0, cap, *interface_of;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < m->nx * m->ny; c++) {
    const PetscInt i = c % m->nx;
    if (i + 1 < m->nx) {
      const PhaseType a = (PhaseType)m->phase[c], b = (PhaseType)m->phase[c + 1];
      PetscCheck(!((a == PHASE_LITHIUM && (b == PHASE_ACTIVE || b == PHASE_COMPOSITE)) ||
                   (b == PHASE_LITHIUM && (a == PHASE_ACTIVE || a == PHASE_COMPOSITE))),
                 m->comm, PETSC_ERR_USER_INPUT,
                 "Lithium touches the cathode at x = %g um: the cell is short-circuited; put an electrolyte between them",
                 (double)(m->x_faces[i + 1] * 1e6));
    }
  }
  /* no DMSetFromOptions: the grid is the config's, and options such as -da_grid_x must not resize it under the model */
  PetscCall(DMDACreate1d(m->comm, DM_BOUNDARY_NONE, m->nx, FIELD_COUNT, 1, NULL, &m->da));
  PetscCall(DMSetUp(m->da));
  PetscCall(DMDASetFieldName(m->da, FIELD_C, "concentration"));
  PetscCall(DMDASetFieldName(m->da, FIELD_PHI, "potential"));
  PetscCall(DMDAGetCorners(m->da, &m->xs, &m->ys, NULL, &m->xm, &m->ym, NULL));
  PetscCall(DMDAGetGhostCorners(m->da, &m->gxs, &m->gys, NULL, &m->gxm, &m->gym, NULL));
  m->nlocal = m->gxm * m->gym;
  PetscCall(PetscMalloc5(m->nlocal, &m->local_phase, m->nlocal, &m->local_layer, m->nlocal, &m->local_owned, m->nlocal, &m->local_volume, m->nlocal,
                         &m->local_x));
  for (PetscInt j = m->gys; j < m->gys + m->gym; j++) {
    for (PetscInt i = m->gxs; i < m->gxs + m->gxm; i++) {
      const PetscInt k = (j - m->gys) * m->gxm + (i - m->gxs), g = j * m->nx + i;
      m->local_phase[k]  = m->phase[g];
      m->local_layer[k]  = m->layer[g];
      m->local_owned[k]  = (i >= m->xs && i < m->xs + m->xm && j >= m->ys && j < m->ys + m->ym) ? (j - m->ys) * m->xm + (i - m->xs) : -1;
      m->local_volume[k] = m->hx[i] * m->hy[j];
      m->local_x[k]      = m->x_centres[i];
    }
  }
  /* interfaces are numbered globally in x-fastest order of their left cell */
  PetscCall(PetscMalloc1(m->nx * m->ny, &interface_of));
  for (PetscInt g = 0; g < m->nx * m->ny; g++)
    interface_of[g] =
        (g % m->nx + 1 < m->nx && FaceKindOf((PhaseType)m->phase[g], (PhaseType)m->phase[g + 1]) == FACE_INTERFACE) ? m->ninterfaces++ : -1;

  m->no_ghosts = (PetscBool)(m->nlocal == m->xm * m->ym);
  /* x faces: the face left of each owned cell and the right face of the last one */
  cap = (m->xm + 1) * m->ym;
  PetscCall(PetscMalloc1(cap, &m->faces));
  for (PetscInt j = m->ys; j < m->ys + m->ym; j++) {
    for (PetscInt i = m->xs; i <= m->xs + m->xm; i++) {
      const PetscInt k = (j - m->gys) * m->gxm + (i - m->gxs);
      Face           f = {.side = -1, .R = -1, .interface = -1, .counted = (PetscBool)(i < m->xs + m->xm || i == m->nx)};
      if (i == m->nx) { /* right boundary of the last cell */
        f.kind = FACE_BOUNDARY, f.L = k - 1, f.side = SIDE_XMAX, f.dL = 0.5 * m->hx[i - 1], f.x = m->x_faces[i];
      } else if (i == 0) {
        f.kind = FACE_BOUNDARY, f.L = k, f.side = SIDE_XMIN, f.dL = 0.5 * m->hx[0], f.x = 0.0;
      } else {
        f.kind = FaceKindOf((PhaseType)m->local_phase[k - 1], (PhaseType)m->local_phase[k]);
        f.L = k - 1, f.R = k, f.dL = 0.5 * m->hx[i - 1], f.dR = 0.5 * m->hx[i], f.x = m->x_faces[i];
        f.electrode_left = (PetscBool)(m->local_phase[k] == PHASE_ELECTROLYTE);
        f.interface      = interface_of[j * m->nx + i - 1];
      }
      f.area = m->hy[j];
      if (f.kind == FACE_NONE || (f.kind == FACE_BOUNDARY && m->local_phase[f.L] == PHASE_VOID)) continue;
      m->faces[nf++] = f;
    }
  }
  m->nfaces = nf;
  PetscCall(PetscMalloc3(nf, &m->flux, nf, &m->flux_ok, m->nlocal * FIELD_COUNT, &m->flux_u));
  m->flux_time = NAN;
  PetscCall(PetscFree(interface_of));
  for (PetscInt s = 0; s < SIDE_COUNT; s++)
    for (PetscInt a = 0; a < FIELD_COUNT; a++)
      m->bc[s][a] = (Boundary){BC_FLUX, 0.0};
  m->bc[SIDE_XMIN][FIELD_PHI] = (Boundary){BC_VALUE, 0.0}; /* the anode end is ground */
  PetscCall(ModelRowScale(m));
  PetscFunctionReturn(0);
}

/* Memory of a 1D run per cell, measured with `ionstack check` (the solvers
 * set up, the Jacobian factored once): 1e6 cells take 414 MiB above the
 * 44 MiB of an empty run, about 420 bytes per cell for the state vectors,
 * the Jacobian and its LU factors, the geometry and the face lists. The
 * estimate keeps a margin. */
#define BYTES_PER_CELL 600.0
#define DEFAULT_MEMORY_LIMIT 4294967296.0 /* 4 GiB, mesh.memory_limit's default */

/* Refuses a mesh too large for the index type or for mesh.memory_limit
 * before anything is allocated. */
static PetscErrorCode CheckMeshSize(MPI_Comm comm, const Params *p, PetscInt64 cells)
{
  const PetscReal limit = p->memory_limit > 0 ? p->memory_limit : DEFAULT_MEMORY_LIMIT, need = BYTES_PER_CELL * (PetscReal)cells;

  PetscFunctionBeginUser;
  PetscCheck(cells >= 1 && cells * FIELD_COUNT < PETSC_MAX_INT, comm, PETSC_ERR_USER_INPUT,
             "the mesh has %" PetscInt64_FMT " cells; at most %" PetscInt64_FMT " fit this build's %d-bit indices", cells,
             (PetscInt64)(PETSC_MAX_INT / FIELD_COUNT - 1), (int)(8 * sizeof(PetscInt)));
  PetscCheck(need <= limit, comm, PETSC_ERR_USER_INPUT,
             "the mesh of %" PetscInt64_FMT " cells needs about %.3g GiB, more than mesh.memory_limit = %.3g GiB; use fewer cells or raise "
             "mesh.memory_limit",
             cells, (double)(need / 1073741824.0), (double)(limit / 1073741824.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModelAlloc(MPI_Comm comm, Params *p, PetscInt nx, Model **model)
{
  Model *m;

  PetscFunctionBeginUser;
  PetscCall(CheckMeshSize(comm, p, nx));
  PetscCall(PetscNew(&m));
  m->comm = comm, m->p = p, m->dim = 1, m->nx = nx, m->ny = 1;
  PetscCall(PetscMalloc5(nx + 1, &m->x_faces, nx, &m->x_centres, nx, &m->hx, 2, &m->y_faces, 1, &m->hy));
  PetscCall(PetscMalloc2(nx, &m->phase, nx, &m->layer));
  m->y_faces[0] = 0, m->y_faces[1] = 1, m->hy[0] = 1; /* per unit area in 1D */
  *model = m;
  PetscFunctionReturn(0);
}

static void ModelFinishGeometry(Model *m)
{
  m->x_faces[0] = 0;
  for (PetscInt i = 0; i < m->nx; i++) {
    m->x_faces[i + 1] = m->x_faces[i] + m->hx[i];
    m->x_centres[i]   = m->x_faces[i] + 0.5 * m->hx[i];
  }
}

PetscErrorCode ModelCreate(MPI_Comm comm, Params *p, Model **model)
{
  const Layer    *layers[3] = {&p->anode, &p->separator, &p->cathode};
  const PhaseType phases[3] = {PHASE_LITHIUM, PHASE_ELECTROLYTE, p->cathode_model == CATHODE_LITHIUM ? PHASE_LITHIUM : PHASE_ACTIVE};
  PetscInt64      nx        = 0;
  PetscInt        i         = 0;
  Model          *m;
  PetscErrorCode  ierr;

  PetscFunctionBeginUser;
  *model = NULL;
  PetscCheck(p->dim == 1, comm, PETSC_ERR_SUP, "mesh.dim = %" PetscInt_FMT ": only 1D stacks are available in this version", p->dim);
  for (int l = 0; l < 3; l++)
    nx += layers[l]->cells;
  PetscCall(CheckMeshSize(comm, p, nx));
  PetscCall(ModelAlloc(comm, p, (PetscInt)nx, &m));
  /* the layers refine toward the separator's faces, where the interface
   * layers are; the far ends of the electrodes meet no-flux current
   * collectors and stay coarse */
  for (int l = 0; l < 3; l++) {
    LayerWidthsToward(layers[l], (PetscBool)(l != LAYER_ANODE), (PetscBool)(l != LAYER_CATHODE), m->hx + i);
    for (PetscInt k = 0; k < layers[l]->cells; k++, i++)
      m->phase[i] = phases[l], m->layer[i] = l;
  }
  ModelFinishGeometry(m);
  ierr = ModelSetUp(m);
  if (ierr) { /* free what was built; the error keeps its message */
    (void)ModelDestroy(&m);
    PetscCall(ierr);
  }
  *model = m;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCreateUniform(MPI_Comm comm, Params *p, PhaseType phase, PetscInt n, PetscReal length, Model **model)
{
  Model *m;

  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *model = NULL;
  PetscCall(ModelAlloc(comm, p, n, &m));
  for (PetscInt i = 0; i < n; i++)
    m->hx[i] = length / n, m->phase[i] = phase, m->layer[i] = phase == PHASE_ELECTROLYTE ? LAYER_SEPARATOR : LAYER_CATHODE;
  ModelFinishGeometry(m);
  ierr = ModelSetUp(m);
  if (ierr) {
    (void)ModelDestroy(&m);
    PetscCall(ierr);
  }
  *model = m;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelDestroy(Model **model)
{
  Model *m = *model;

  PetscFunctionBeginUser;
  if (!m) PetscFunctionReturn(0);
  PetscCall(VecDestroy(&m->row_scale));
  PetscCall(VecDestroy(&m->held));
  PetscCall(PetscFree(m->jac_values));
  PetscCall(DMDestroy(&m->da));
  PetscCall(PetscFree5(m->x_faces, m->x_centres, m->hx, m->y_faces, m->hy));
  PetscCall(PetscFree2(m->phase, m->layer));
  PetscCall(PetscFree5(m->local_phase, m->local_layer, m->local_owned, m->local_volume, m->local_x));
  PetscCall(PetscFree(m->faces));
  PetscCall(PetscFree3(m->flux, m->flux_ok, m->flux_u));
  PetscCall(PetscFree(*model));
  PetscFunctionReturn(0);
}

/* Rest state: uniform concentrations, the anode at ground, electrolyte in
 * equilibrium with it (phi_e = 0 against a lithium reference) and the
 * cathode at its open-circuit potential. */
PetscErrorCode ModelInitialState(Model *m, Vec U)
{
  PetscScalar **u;
  const Params *p = m->p;

  PetscFunctionBeginUser;
  PetscCall(DMDAVecGetArrayDOF(m->da, U, &u));
  for (PetscInt i = m->xs; i < m->xs + m->xm; i++) {
    const PhaseType ph = (PhaseType)m->phase[i];
    u[i][FIELD_C]      = ModelFixedValue(m, ph, FIELD_C);
    u[i][FIELD_PHI]    = 0.0;
    if (ph == PHASE_ACTIVE) {
      PetscReal Uocp, dU;
      ActiveOcp(&p->active, p->active.theta_initial, &Uocp, &dU);
      u[i][FIELD_C]   = p->active.theta_initial * p->active.max_concentration;
      u[i][FIELD_PHI] = Uocp;
    }
  }
  PetscCall(DMDAVecRestoreArrayDOF(m->da, U, &u));
  PetscFunctionReturn(0);
}
