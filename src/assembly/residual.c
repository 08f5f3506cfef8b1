/* Assembly: the only code that walks the grid. For every unknown u of a cell,
 *   F_u = s_u du/dt + sum over faces of flux.n A + cell terms - V source     (rows in A)
 * with s_u = F V eps for a lithium balance (0 for a potential). One loop
 * visits each flux record once, evaluates one kernel (bulk flux,
 * Butler-Volmer or boundary), adds the flux to one side and subtracts it
 * from the other; composite cells add their reaction and particle shells
 * (particle.c). The Jacobian is built from the same kernel derivatives, on
 * the pattern the kernels declare: each face kernel's couplings of its two
 * views, and each composite cell's own pattern. */
#include "model.h"

#define THREAD_MIN_FACES 4096 /* records below which the face loop runs in one thread */

PetscErrorCode ModelStateGet(Model *m, Vec U, const PetscScalar **u)
{
  PetscFunctionBeginUser;
  if (m->no_ghosts)
    PetscCall(VecGetArrayRead(U, u));
  else {
    PetscCall(VecScatterBegin(m->to_local, U, m->Ulocal, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(m->to_local, U, m->Ulocal, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(m->Ulocal, u));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ModelStateRestore(Model *m, Vec U, const PetscScalar **u)
{
  PetscFunctionBeginUser;
  PetscCall(VecRestoreArrayRead(m->no_ghosts ? U : m->Ulocal, u));
  PetscFunctionReturn(0);
}

static inline const Region *RegionOf(const Model *m, PetscInt k)
{
  return &m->p->region[m->local_region[k]];
}

/* The bulk flux of one view between local cells kL and kR (kR = kL on a
 * boundary, with uR the boundary value and dR = 0). */
static void BulkFlux(const Model *m, View view, PetscInt kL, PetscInt kR, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR,
                     FaceFlux *ff)
{
  const Region    *rL = RegionOf(m, kL), *rR = RegionOf(m, kR);
  const CellProps *cL = &m->props[kL], *cR = &m->props[kR];

  if (view == VIEW_ION) {
    if (rL->electrolyte.kind == ELECTROLYTE_BINARY)
      FluxBinaryElectrolyte(&rL->electrolyte, cL->ion_transport, &rR->electrolyte, cR->ion_transport, m->p->temperature, uL, uR, dL, dR, ff);
    else
      FluxOhm(rL->electrolyte.conductivity * cL->ion_transport, rR->electrolyte.conductivity * cR->ion_transport, uL, uR, dL, dR, ff);
  } else if (rL->phase == PHASE_ACTIVE && rR->phase == PHASE_ACTIVE) {
    FaceFlux ohm;
    FluxSolidDiffusion(rL->active.diffusivity, rR->active.diffusivity, uL, uR, dL, dR, ff);
    FluxOhm(cL->sigma_s, cR->sigma_s, uL, uR, dL, dR, &ohm);
    ff->f[FIELD_PHI] = ohm.f[FIELD_PHI];
    for (int b = 0; b < 2 * FIELD_COUNT; b++)
      ff->J[FIELD_PHI][b] = ohm.J[FIELD_PHI][b];
  } else
    FluxOhm(cL->sigma_s, cR->sigma_s, uL, uR, dL, dR, ff);
}

/* Which kernel outputs a record couples to which inputs (a: flux, b: the
 * kernel input of side b / FIELD_COUNT): Ohm couples potentials only, a
 * dense film's diffusion and Ohm each field to itself; electrolytes and
 * interfaces couple all. */
static inline PetscBool Couples(const Face *fc, int a, int b)
{
  switch (fc->kind) {
  case FACE_ELECTRON:
    return (PetscBool)(a == FIELD_PHI && b % FIELD_COUNT == FIELD_PHI);
  case FACE_SOLID:
    return (PetscBool)(a == b % FIELD_COUNT);
  case FACE_BOUNDARY:
    return (PetscBool)(b < FIELD_COUNT && (fc->view == VIEW_ION || a == b));
  default:
    return PETSC_TRUE;
  }
}

static inline void ViewValues(const Face *fc, int s, const PetscScalar *u, PetscReal v[FIELD_COUNT])
{
  for (int a = 0; a < FIELD_COUNT; a++)
    v[a] = fc->col[s][a] >= 0 ? u[fc->col[s][a]] : fc->fixed[s][a];
}

/* Flux of record fc from L to R (outward from L on a boundary), with its
 * derivatives; *ok is PETSC_FALSE when the states are unphysical. */
static PetscErrorCode FaceEvaluate(const Model *m, const Face *fc, PetscReal t, const PetscScalar *u, FaceFlux *ff, InterfaceFlux *kin, PetscBool *ok)
{
  PetscReal uL[FIELD_COUNT], uR[FIELD_COUNT];

  PetscFunctionBeginUser;
  *ok = PETSC_TRUE;
  ViewValues(fc, 0, u, uL);
  if (fc->kind == FACE_BOUNDARY) {
    const Boundary *bc = m->bc[fc->side][fc->view];
    PetscReal       value[FIELD_COUNT];

    for (int a = 0; a < FIELD_COUNT; a++)
      value[a] = bc[a].value;
    if (m->bc_function) PetscCall(m->bc_function((Side)fc->side, fc->x, fc->y, t, value, m->bc_ctx));
    for (int a = 0; a < FIELD_COUNT; a++)
      uR[a] = bc[a].kind == BC_VALUE ? value[a] : uL[a];
    if (fc->col[0][FIELD_C] >= 0 && fc->view == VIEW_ION && (uL[FIELD_C] <= 0 || uR[FIELD_C] <= 0)) {
      *ok = PETSC_FALSE;
      PetscFunctionReturn(0);
    }
    BulkFlux(m, fc->view, fc->L, fc->L, uL, uR, fc->dL, 0.0, ff);
    for (int a = 0; a < FIELD_COUNT; a++) {
      /* a field whose flux is given stands at its cell value on the boundary side (uR = uL above): its derivative goes to the cell */
      for (int b = 0; b < FIELD_COUNT; b++)
        if (bc[b].kind == BC_FLUX) ff->J[a][b] += ff->J[a][FIELD_COUNT + b];
      for (int b = FIELD_COUNT; b < 2 * FIELD_COUNT; b++)
        ff->J[a][b] = 0.0;
      if (bc[a].kind == BC_FLUX) {
        ff->f[a] = value[a];
        for (int b = 0; b < FIELD_COUNT; b++)
          ff->J[a][b] = 0.0;
      }
    }
    PetscFunctionReturn(0);
  }
  ViewValues(fc, 1, u, uR);
  if (fc->kind == FACE_INTERFACE) {
    const PetscInt e = fc->electrode_left ? fc->L : fc->R, el = fc->electrode_left ? fc->R : fc->L;
    const Region  *re = RegionOf(m, e);
    InterfaceSetup s  = {&re->kinetics,
                         &RegionOf(m, el)->electrolyte,
                        re->phase == PHASE_ACTIVE ? &re->active : NULL,
                         m->p->temperature,
                         m->props[e].sigma_s,
                        fc->electrode_left ? fc->dL : fc->dR,
                        fc->electrode_left ? fc->dR : fc->dL};
    InterfaceFlux  k;

    InterfaceEvaluate(&s, fc->electrode_left ? uL : uR, fc->electrode_left ? uR : uL, &k);
    if (kin) *kin = k;
    /* anodic i leaves the electrode as current and as lithium (x F): both fields carry i */
    for (int a = 0; a < FIELD_COUNT; a++) {
      ff->f[a] = fc->electrode_left ? k.i : -k.i;
      for (int b = 0; b < 4; b++)
        ff->J[a][b] = fc->electrode_left ? k.di[b] : -k.di[(b + 2) % 4];
    }
    *ok = k.in_domain;
    PetscFunctionReturn(0);
  }
  if (fc->view == VIEW_ION && fc->col[0][FIELD_C] >= 0 && (uL[FIELD_C] <= 0 || uR[FIELD_C] <= 0))
    *ok = PETSC_FALSE;
  else
    BulkFlux(m, fc->view, fc->L, fc->R, uL, uR, fc->dL, fc->dR, ff);
  PetscFunctionReturn(0);
}

/* The fluxes of every record and the reactions of every composite cell at
 * state u, kept for the next call at the same state (compared bit for bit):
 * in a Newton iteration the Jacobian follows the residual at the same
 * state, and the interface kinetics (an inner solve per face) need not run
 * twice. Boundary records are evaluated every time: their values change
 * with the protocol step, not with the state. */
static PetscErrorCode StateEvaluate(Model *m, PetscReal t, const PetscScalar *u)
{
  const size_t    bytes = (size_t)m->nghosted * sizeof(PetscScalar);
  const PetscBool same  = (PetscBool)(t == m->flux_time && !memcmp(u, m->flux_u, bytes));

  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  /* Threads split the records: each writes only its own flux slot, so the
   * loop needs no colouring; the sums into the cells' rows stay in one
   * thread (AddFlux). Boundary records may call the boundary function (a
   * PETSc callback), so they stay outside the threads; on small meshes so
   * does everything (a team costs more than it saves). */
  for (PetscInt n = 0; n < m->nfaces; n++)
    if (m->faces[n].kind == FACE_BOUNDARY) PetscCall(FaceEvaluate(m, &m->faces[n], t, u, &m->flux[n], NULL, &m->flux_ok[n]));
  if (!same) {
#pragma omp parallel for schedule(static) reduction(max : ierr) if (m->nfaces > THREAD_MIN_FACES)
    for (PetscInt n = 0; n < m->nfaces; n++)
      if (m->faces[n].kind != FACE_BOUNDARY) ierr = PetscMax(ierr, FaceEvaluate(m, &m->faces[n], t, u, &m->flux[n], NULL, &m->flux_ok[n]));
    PetscCall(ierr);
#pragma omp parallel for schedule(static) if (m->nlocal > THREAD_MIN_FACES / 4)
    for (PetscInt k = 0; k < m->nlocal; k++)
      if (m->owned_offset[k] >= 0 && m->local_phase[k] == PHASE_COMPOSITE) {
        CompositeCell cc;
        ModelCompositeCell(m, k, &cc);
        CompositeReaction(&cc, &m->layout[m->local_region[k]], u + m->local_offset[k], &m->reaction[k]);
      }
  }
  if (!same) PetscCall(PetscMemcpy(m->flux_u, u, bytes));
  m->flux_time = t;
  PetscFunctionReturn(0);
}

/* An unknown held at its value in m->held (ModelHold): one with a time derivative. */
static inline PetscBool Held(const Model *m, PetscInt r)
{
  return (PetscBool)(m->held && m->storage[r] > 0);
}

/* Cell terms of owned local cell k: composite reaction and shells,
 * manufactured sources, storage, held unknowns (whose rows replace the
 * balance summed into them), and the range of its concentrations. u is the
 * ghosted state, udot, held and f the rank's arrays. */
static PetscErrorCode CellResidual(Model *m, PetscInt k, PetscReal t, const PetscScalar *u, const PetscScalar *udot, const PetscScalar *held,
                                   PetscScalar *f, PetscBool *ok)
{
  const Region      *r  = RegionOf(m, k);
  const CellLayout  *l  = &m->layout[m->local_region[k]];
  const PetscInt     o  = m->owned_offset[k];
  const PetscScalar *uc = u + m->local_offset[k];

  PetscFunctionBeginUser;
  if (r->phase == PHASE_COMPOSITE) {
    CompositeCell cc;
    ModelCompositeCell(m, k, &cc);
    if (!m->reaction[k].in_domain)
      *ok = PETSC_FALSE;
    else
      CompositeCellEvaluate(&cc, l, uc, &m->reaction[k], f + o, NULL);
  }
  if (m->source) {
    const View view           = r->phase == PHASE_ELECTROLYTE ? VIEW_ION : VIEW_SOLID;
    PetscReal  s[FIELD_COUNT] = {0, 0};
    PetscCall(m->source(m->local_x[k], m->local_y[k], t, (PhaseType)r->phase, s, m->source_ctx));
    for (int a = 0; a < FIELD_COUNT; a++) {
      const VarKind v = ViewVar(view, (FieldIndex)a);
      if (l->count[v]) f[o + l->offset[v]] -= m->local_volume[k] * s[a] * (a == FIELD_C ? FARADAY : 1.0);
    }
  }
  for (PetscInt d = 0; d < l->ndof; d++) {
    const PetscInt row = o + d;
    if (m->storage[row] <= 0) continue;
    f[row] = Held(m, row) ? uc[d] - held[row] : f[row] + m->storage[row] * udot[row];
  }
  if (l->count[VAR_C_E] && !(uc[l->offset[VAR_C_E]] > 0)) *ok = PETSC_FALSE;
  for (PetscInt j = 0; j < l->count[VAR_C_S] + l->count[VAR_C_SURF]; j++) { /* c_surf follows the shells in the block */
    const PetscReal cs = uc[l->offset[VAR_C_S] + j];
    if (!(cs > 0 && cs < r->active.max_concentration)) *ok = PETSC_FALSE;
  }
  PetscFunctionReturn(0);
}

/* Adds a flux record to the owned side(s): out of L, into R. */
static void AddFlux(const Face *fc, const FaceFlux *ff, PetscScalar *f)
{
  for (int s = 0; s < 2; s++)
    for (int a = 0; a < FIELD_COUNT; a++)
      if (fc->row[s][a] >= 0) f[fc->row[s][a]] += (s ? -1 : 1) * fc->area * ff->f[a];
}

PetscErrorCode ModelIFunction(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void *ctx)
{
  Model             *m = (Model *)ctx;
  const PetscScalar *u, *udot, *held = NULL;
  PetscScalar       *f;
  PetscBool          ok = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(ModelStateGet(m, U, &u));
  PetscCall(VecGetArrayRead(Udot, &udot));
  if (m->held) PetscCall(VecGetArrayRead(m->held, &held));
  PetscCall(VecZeroEntries(F));
  PetscCall(VecGetArray(F, &f));
  PetscCall(StateEvaluate(m, t, u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    if (m->flux_ok[n])
      AddFlux(&m->faces[n], &m->flux[n], f);
    else
      ok = PETSC_FALSE;
  }
  for (PetscInt k = 0; k < m->nlocal; k++)
    if (m->owned_offset[k] >= 0) PetscCall(CellResidual(m, k, t, u, udot, held, f, &ok));
  PetscCall(VecRestoreArray(F, &f));
  if (m->held) PetscCall(VecRestoreArrayRead(m->held, &held));
  PetscCall(VecRestoreArrayRead(Udot, &udot));
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCall(VecPointwiseMult(F, F, m->row_scale));
  /* every rank must take the same branch of the line search and the step control */
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &ok, 1, MPIU_BOOL, MPI_LAND, m->comm));
  m->domain_error = (PetscBool)!ok;
  m->domain_errors += !ok;
  if (!ok && ts) {
    SNES snes;
    PetscCall(TSGetSNES(ts, &snes));
    PetscCall(SNESSetFunctionDomainError(snes));
  }
  PetscFunctionReturn(0);
}

/* The Jacobian is assembled as a list of entries in one fixed order, the
 * order of the loops below: for every flux record, the rows of each owned
 * side against the columns its kernel couples; then every owned composite
 * cell's own pattern; then the diagonal of every owned unknown.
 * JacobianEntries lists their (row, column) in the local numbering once per
 * matrix; ModelIJacobian fills the values in the same order and hands them
 * over with one MatSetValuesCOO, which sums repeated entries. The two walks
 * are kept apart (and checked to agree in length) because one walk serving
 * both costs 8 % more instructions in the Newton loop. */
static PetscCount JacobianEntries(const Model *m, PetscInt *rows, PetscInt *cols)
{
  PetscCount n = 0;

  for (PetscInt f = 0; f < m->nfaces; f++) {
    const Face *fc = &m->faces[f];
    for (int s = 0; s < 2; s++)
      for (int a = 0; a < FIELD_COUNT; a++) {
        if (fc->row[s][a] < 0) continue;
        for (int b = 0; b < 2 * FIELD_COUNT; b++) {
          const PetscInt c = fc->col[b / FIELD_COUNT][b % FIELD_COUNT];
          if (c < 0 || !Couples(fc, a, b)) continue;
          if (rows) rows[n] = fc->col[s][a], cols[n] = c;
          n++;
        }
      }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PetscInt r = m->local_region[k];
    if (m->owned_offset[k] < 0 || m->local_phase[k] != PHASE_COMPOSITE) continue;
    for (PetscInt e = 0; e < m->pattern_count[r]; e++, n++) /* the pattern the region's cells declared at set-up */
      if (rows) rows[n] = m->local_offset[k] + m->pattern_rows[r][e], cols[n] = m->local_offset[k] + m->pattern_cols[r][e];
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    if (m->owned_offset[k] < 0) continue;
    for (PetscInt d = 0; d < m->layout[m->local_region[k]].ndof; d++, n++)
      if (rows) rows[n] = cols[n] = m->local_offset[k] + d;
  }
  return n;
}

static PetscErrorCode JacobianPreallocate(Model *m, Mat P)
{
  PetscInt     *rows, *cols;
  PetscObjectId id;

  PetscFunctionBeginUser;
  PetscCall(PetscObjectGetId((PetscObject)P, &id));
  if (id == m->jac_matrix) PetscFunctionReturn(0);
  m->njac = JacobianEntries(m, NULL, NULL);
  PetscCall(PetscFree(m->jac_values));
  PetscCall(PetscMalloc1(m->njac, &m->jac_values));
  PetscCall(PetscMalloc2(m->njac, &rows, m->njac, &cols));
  JacobianEntries(m, rows, cols);
  PetscCall(MatSetPreallocationCOOLocal(P, m->njac, rows, cols));
  PetscCall(PetscFree2(rows, cols));
  m->jac_matrix = id;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelIJacobian(TS ts, PetscReal t, Vec U, Vec Udot, PetscReal shift, Mat J, Mat P, void *ctx)
{
  Model             *m = (Model *)ctx;
  const PetscScalar *u;
  PetscScalar       *v;
  PetscCount         n = 0;

  PetscFunctionBeginUser;
  (void)ts, (void)Udot; /* unused: PETSc's callback signature */
  PetscCall(JacobianPreallocate(m, P));
  v = m->jac_values;
  PetscCall(ModelStateGet(m, U, &u));
  PetscCall(StateEvaluate(m, t, u));
  for (PetscInt f = 0; f < m->nfaces; f++) {
    const Face     *fc = &m->faces[f];
    const FaceFlux *ff = &m->flux[f];
    for (int s = 0; s < 2; s++)
      for (int a = 0; a < FIELD_COUNT; a++) {
        const PetscInt r = fc->row[s][a];
        if (r < 0) continue;
        for (int b = 0; b < 2 * FIELD_COUNT; b++) {
          if (fc->col[b / FIELD_COUNT][b % FIELD_COUNT] < 0 || !Couples(fc, a, b)) continue;
          v[n++] = m->flux_ok[f] && !Held(m, r) ? (s ? -1 : 1) * fc->area * ff->J[a][b] : 0.0;
        }
      }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const CellLayout *l  = &m->layout[m->local_region[k]];
    const PetscInt    o  = m->owned_offset[k];
    const PetscInt    np = m->pattern_count[m->local_region[k]], *rows = m->pattern_rows[m->local_region[k]];
    CompositeCell     cc;
    if (o < 0 || m->local_phase[k] != PHASE_COMPOSITE) continue;
    ModelCompositeCell(m, k, &cc);
    if (m->reaction[k].in_domain)
      CompositeCellEvaluate(&cc, l, u + m->local_offset[k], &m->reaction[k], NULL, v + n);
    else
      PetscCall(PetscArrayzero(v + n, np));
    for (PetscInt e = 0; e < np; e++) /* rows of held unknowns keep only their identity */
      if (Held(m, o + rows[e])) v[n + e] = 0.0;
    n += np;
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PetscInt o = m->owned_offset[k];
    if (o < 0) continue;
    for (PetscInt d = 0; d < m->layout[m->local_region[k]].ndof; d++)
      v[n++] = Held(m, o + d) ? 1.0 : shift * m->storage[o + d];
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCheck(n == m->njac, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Jacobian assembly wrote %" PetscCount_FMT " entries of %" PetscCount_FMT, n, m->njac);
  PetscCall(MatSetValuesCOO(P, v, INSERT_VALUES));
  PetscCall(MatDiagonalScale(P, m->row_scale, NULL));
  if (J != P) {
    PetscCall(MatAssemblyBegin(J, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(J, MAT_FINAL_ASSEMBLY));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode ModelHold(Model *m, Vec U)
{
  PetscFunctionBeginUser;
  if (!m->held) PetscCall(VecDuplicate(U, &m->held));
  PetscCall(VecCopy(U, m->held));
  m->flux_time = NAN; /* the same state now has other rows */
  PetscFunctionReturn(0);
}

PetscErrorCode ModelRelease(Model *m)
{
  PetscFunctionBeginUser;
  PetscCall(VecDestroy(&m->held));
  m->flux_time = NAN;
  PetscFunctionReturn(0);
}

/* Boundary potential: the cell value extrapolated through its half cell. */
static PetscReal BoundaryPotential(const Model *m, const Face *fc, const PetscScalar *u, const FaceFlux *ff)
{
  return u[fc->col[0][FIELD_PHI]] - ff->f[FIELD_PHI] * fc->dL / m->props[fc->L].sigma_s;
}

PetscErrorCode ModelObserve(Model *m, PetscReal t, Vec U, Observation *obs)
{
  const PetscScalar *u;
  PetscReal          sum[4] = {0, 0, 0, 0}, mins[3] = {PETSC_MAX_REAL, PETSC_MAX_REAL, PETSC_MAX_REAL}, gsum[4], gmin[3];

  PetscFunctionBeginUser;
  PetscCall(ModelStateGet(m, U, &u));
  PetscCall(StateEvaluate(m, t, u)); /* the composite reactions: usually those of the last residual, at this state */
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (fc->kind == FACE_BOUNDARY && fc->view == VIEW_SOLID) {
      PetscCall(FaceEvaluate(m, fc, t, u, &ff, NULL, &ok));
      if (ok) {
        const PetscReal phi_b = BoundaryPotential(m, fc, u, &ff);
        if (fc->side == SIDE_XMAX) sum[0] += phi_b * fc->area, sum[1] += ff.f[FIELD_PHI] * fc->area, sum[3] += fc->area;
        if (fc->side == SIDE_XMIN) sum[0] -= phi_b * fc->area;
      }
    }
    if (fc->kind == FACE_INTERFACE) {
      const PetscInt el = fc->electrode_left ? fc->R : fc->L;
      PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok));
      if (RegionOf(m, el)->electrolyte.kind == ELECTROLYTE_BINARY) mins[0] = PetscMin(mins[0], ok ? k.c_face : 0.0);
      if (RegionOf(m, fc->electrode_left ? fc->L : fc->R)->phase == PHASE_ACTIVE && ok)
        mins[1] = PetscMin(mins[1], k.theta_face), mins[2] = PetscMin(mins[2], -k.theta_face);
    }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PetscInt    o = m->owned_offset[k];
    const CellLayout *l = &m->layout[m->local_region[k]];
    if (o < 0) continue;
    for (PetscInt d = 0; d < l->ndof; d++)
      sum[2] += m->storage[o + d] * u[m->local_offset[k] + d] / FARADAY;
    if (m->local_phase[k] == PHASE_COMPOSITE) {
      const InterfaceFlux r = m->reaction[k];
      if (l->count[VAR_C_E]) mins[0] = PetscMin(mins[0], r.in_domain ? u[m->local_offset[k] + l->offset[VAR_C_E]] : 0.0);
      if (r.in_domain) mins[1] = PetscMin(mins[1], r.theta_face), mins[2] = PetscMin(mins[2], -r.theta_face);
    }
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCall(MPIU_Allreduce(sum, gsum, 4, MPIU_REAL, MPIU_SUM, m->comm));
  PetscCall(MPIU_Allreduce(mins, gmin, 3, MPIU_REAL, MPIU_MIN, m->comm));
  /* both ends are averaged over their area (one face in 1D) */
  obs->voltage                     = gsum[3] > 0 ? gsum[0] / gsum[3] : 0.0;
  obs->current                     = gsum[3] > 0 ? gsum[1] / gsum[3] : 0.0;
  obs->lithium_inventory           = gsum[2] / m->lateral;
  obs->min_interface_concentration = gmin[0] < PETSC_MAX_REAL ? gmin[0] : PETSC_MAX_REAL;
  obs->min_theta                   = gmin[1] < PETSC_MAX_REAL ? gmin[1] : 0.5;
  obs->max_theta                   = gmin[2] < PETSC_MAX_REAL ? -gmin[2] : 0.5;
  PetscFunctionReturn(0);
}

/* The resistance of the half cell of local cell k toward a face at
 * distance d, for the carrier of a view: d / kappa_eff or d / sigma_eff. */
static PetscReal HalfResistance(const Model *m, PetscInt k, View view, PetscReal d, const PetscReal uv[FIELD_COUNT])
{
  const Region *r = RegionOf(m, k);
  if (view == VIEW_ION) {
    ElectrolyteState es;
    ElectrolyteEvaluate(&r->electrolyte, uv[FIELD_C], &es);
    return d / (es.kappa * m->props[k].ion_transport);
  }
  return d / m->props[k].sigma_s;
}

/* U(theta_surface) - U(theta) of a solid whose cell (or outer shell) holds
 * ue[0]: the open-circuit step across the solid's own diffusion layer. */
static PetscReal SolidStep(const ActiveMaterial *a, const PetscReal ue[], const InterfaceFlux *k)
{
  PetscReal Us, Uc, dU;
  ActiveOcp(a, k->theta_face, &Us, &dU);
  ActiveOcp(a, ue[0] / a->max_concentration, &Uc, &dU);
  return Us - Uc;
}

PetscErrorCode ModelLosses(Model *m, PetscReal t, Vec U, Losses *losses)
{
  const PetscScalar *u;
  PetscInt           membrane = 0;
  PetscReal          local[MAX_REGIONS + 3];

  PetscFunctionBeginUser;
  PetscCall(PetscArrayzero(local, MAX_REGIONS + 3));
  while (membrane < m->p->nregions && m->p->region[membrane].phase != PHASE_ELECTROLYTE)
    membrane++;
  PetscCall(ModelStateGet(m, U, &u));
  PetscCall(StateEvaluate(m, t, u)); /* the composite reactions, shared with the residual at this state */
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    PetscReal     uL[FIELD_COUNT], uR[FIELD_COUNT];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (!fc->counted) continue;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok)); /* k: interfaces only */
    if (!ok) continue;
    ViewValues(fc, 0, u, uL);
    ViewValues(fc, 1, u, uR);
    {
      const PetscReal i = ff.f[FIELD_PHI] * fc->area; /* current from L to R */
      if (fc->kind == FACE_INTERFACE) {
        const View      vL = fc->electrode_left ? VIEW_SOLID : VIEW_ION, vR = fc->electrode_left ? VIEW_ION : VIEW_SOLID;
        const PetscReal rL = HalfResistance(m, fc->L, vL, fc->dL, uL), rR = HalfResistance(m, fc->R, vR, fc->dR, uR);
        const PetscInt  e = fc->electrode_left ? fc->L : fc->R;
        /* the potential across the face itself, less the equilibrium step: U at the face, 0 at lithium */
        local[m->local_region[fc->L]] += i * i * rL / fc->area;
        local[m->local_region[fc->R]] += i * i * rR / fc->area;
        local[MAX_REGIONS + (m->local_region[e] < membrane ? 0 : 1)] += fc->area * k.i * (k.eta + RegionOf(m, e)->kinetics.film_resistance * k.i);
        if (RegionOf(m, e)->phase == PHASE_ACTIVE)
          local[MAX_REGIONS + 2] += fc->area * k.i * SolidStep(&RegionOf(m, e)->active, fc->electrode_left ? uL : uR, &k);
      } else if (fc->view == VIEW_ION || fc->view == VIEW_SOLID) {
        /* i (phi_L - phi_R), split at the face potential between the two half cells */
        const PetscReal rL   = HalfResistance(m, fc->L, fc->view, fc->dL, uL);
        const PetscReal drop = fc->kind == FACE_BOUNDARY ? 0.0 : uL[FIELD_PHI] - uR[FIELD_PHI];
        if (fc->kind == FACE_BOUNDARY) {
          local[m->local_region[fc->L]] += i * i * rL / fc->area;
        } else {
          const PetscReal phi_face = uL[FIELD_PHI] - ff.f[FIELD_PHI] * rL;
          local[m->local_region[fc->L]] += i * (uL[FIELD_PHI] - phi_face);
          local[m->local_region[fc->R]] += i * (drop - (uL[FIELD_PHI] - phi_face));
        }
      }
    }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    if (m->owned_offset[k] < 0 || m->local_phase[k] != PHASE_COMPOSITE) continue;
    {
      const InterfaceFlux r = m->reaction[k];
      CompositeCell       cc;
      ModelCompositeCell(m, k, &cc);
      if (r.in_domain) {
        const CellLayout *l     = &m->layout[m->local_region[k]];
        const PetscReal   ue[2] = {u[m->local_offset[k] + l->offset[VAR_C_S] + l->count[VAR_C_S] - 1], 0.0};
        local[MAX_REGIONS + 1] += cc.volume * cc.area * r.i * (r.eta + cc.region->kinetics.film_resistance * r.i);
        local[MAX_REGIONS + 2] += cc.volume * cc.area * r.i * SolidStep(&cc.region->active, ue, &r);
      }
    }
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, local, MAX_REGIONS + 3, MPIU_REAL, MPIU_SUM, m->comm));
  for (PetscInt r = 0; r < MAX_REGIONS + 3; r++) /* per unit depth in 2D: per unit of the cross-section */
    local[r] /= m->lateral;
  for (PetscInt r = 0; r < MAX_REGIONS; r++)
    losses->region[r] = local[r];
  losses->anode_interface   = local[MAX_REGIONS];
  losses->cathode_interface = local[MAX_REGIONS + 1];
  losses->cathode_solid     = local[MAX_REGIONS + 2];
  PetscFunctionReturn(0);
}

PetscErrorCode ModelAnodeInterface(Model *m, PetscReal t, Vec U, PetscReal *peak, PetscReal *mean, PetscReal *contact)
{
  const PetscScalar *u;
  PetscReal          sum[2] = {0, 0}, max = 0;

  PetscFunctionBeginUser;
  PetscCall(ModelStateGet(m, U, &u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (fc->kind != FACE_INTERFACE || !fc->counted || m->local_region[fc->electrode_left ? fc->L : fc->R] != REGION_ANODE) continue;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok));
    if (!ok) continue;
    sum[0] += k.i * fc->area, sum[1] += fc->area, max = PetscMax(max, PetscAbsReal(k.i));
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, sum, 2, MPIU_REAL, MPIU_SUM, m->comm));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, &max, 1, MPIU_REAL, MPIU_MAX, m->comm));
  *peak = max, *mean = sum[1] > 0 ? sum[0] / sum[1] : 0.0, *contact = sum[1] / m->lateral;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelInterfaceCurrents(Model *m, PetscReal t, Vec U, PetscReal *values)
{
  const PetscScalar *u;
  PetscReal         *local;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(m->ninterfaces + 1, &local));
  PetscCall(ModelStateGet(m, U, &u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (fc->kind != FACE_INTERFACE || !fc->counted) continue;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok));
    if (ok) local[fc->interface] = k.i;
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCall(MPIU_Allreduce(local, values, m->ninterfaces, MPIU_REAL, MPIU_SUM, m->comm));
  PetscCall(PetscFree(local));
  PetscFunctionReturn(0);
}

/* current_density is the x component of the cell's current-density vector (along the stack, as in 1D); current_density_y its lateral one */
const char *const ModelFieldNames[MODEL_FIELD_COUNT] = {
    "electrolyte_concentration",      "electrolyte_potential", "solid_potential",          "solid_concentration",
    "particle_surface_concentration", "current_density",       "reaction_current_density", "current_density_y"};
const char *const ModelFieldUnits[MODEL_FIELD_COUNT] = {"mol/m^3", "V", "V", "mol/m^3", "mol/m^3", "A/m^2", "A/m^3", "A/m^2"};
enum { OUT_CE, OUT_PHIE, OUT_PHIS, OUT_CS, OUT_CSURF, OUT_CURRENT, OUT_REACTION, OUT_CURRENT_Y };

/* The index of owned global cell g in the rank's block, x fastest. */
static inline PetscInt OwnedIndex(const Model *m, PetscInt g)
{
  return (g / m->nx - m->ys) * m->xm + g % m->nx - m->xs;
}

/* Whether a cell of region r reports output field f. */
static PetscBool RegionReports(const Region *r, const CellLayout *l, int f)
{
  const PhaseInfo *info = PhaseGet(r->phase);
  switch (f) {
  case OUT_CE:
  case OUT_PHIE:
    return info->ions;
  case OUT_PHIS:
    return info->electrons;
  case OUT_CS:
    return (PetscBool)(l->count[VAR_C_S] > 0);
  case OUT_CSURF:
  case OUT_REACTION:
    return (PetscBool)(r->phase == PHASE_COMPOSITE);
  default: /* the current density */
    return (PetscBool)(r->phase != PHASE_VOID);
  }
}

PetscBool ModelHasField(const Model *m, PetscInt f)
{
  if (f == OUT_CURRENT_Y && m->ny == 1) return PETSC_FALSE;
  for (PetscInt r = 0; r < m->p->nregions; r++)
    if (RegionReports(&m->p->region[r], &m->layout[r], (int)f)) return PETSC_TRUE;
  return PETSC_FALSE;
}

/* Each rank fills the fields of its own block of cells (x fastest inside
 * it), and rank 0 gathers the blocks into the global order: no rank but 0
 * holds more than its own cells. */
PetscErrorCode ModelCellFields(Model *m, PetscReal t, Vec U, PetscReal *values)
{
  const PetscInt     n = m->nx * m->ny, nown = m->xm * m->ym;
  const PetscScalar *u;
  PetscReal         *local, *all = NULL;
  PetscMPIInt        rank, size, *counts = NULL, *displs = NULL, count = (PetscMPIInt)(MODEL_FIELD_COUNT * nown);
  PetscInt           box[4] = {m->xs, m->ys, m->xm, m->ym}, *boxes = NULL;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(MODEL_FIELD_COUNT * nown + 1, &local));
  PetscCall(ModelStateGet(m, U, &u));
  PetscCall(StateEvaluate(m, t, u)); /* the composite reactions, shared with the residual at this state */
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const Region      *r  = RegionOf(m, k);
    const CellLayout  *l  = &m->layout[m->local_region[k]];
    const PetscScalar *uc = u + m->local_offset[k];
    const PetscInt     g = m->local_cell[k], b = OwnedIndex(m, g);
    if (m->owned_offset[k] < 0) continue;
    local[OUT_CE * nown + b]   = l->count[VAR_C_E] ? uc[l->offset[VAR_C_E]] : RegionFixedValue(r, VAR_C_E);
    local[OUT_PHIE * nown + b] = l->count[VAR_PHI_E] ? uc[l->offset[VAR_PHI_E]] : 0.0;
    local[OUT_PHIS * nown + b] = l->count[VAR_PHI_S] ? uc[l->offset[VAR_PHI_S]] : 0.0;
    if (r->phase == PHASE_COMPOSITE) {
      const InterfaceFlux rx = m->reaction[k];
      CompositeCell       cc;
      PetscReal           mean = 0.0;
      ModelCompositeCell(m, k, &cc);
      for (PetscInt j = 0; j < l->count[VAR_C_S]; j++)
        mean += ShellVolumeShare(cc.xi, j) * uc[l->offset[VAR_C_S] + j];
      local[OUT_CS * nown + b]       = mean;
      local[OUT_CSURF * nown + b]    = rx.in_domain ? rx.theta_face * r->active.max_concentration : NAN;
      local[OUT_REACTION * nown + b] = rx.in_domain ? cc.area * rx.i : NAN;
    } else if (l->count[VAR_C_S])
      local[OUT_CS * nown + b] = uc[l->offset[VAR_C_S]];
  }
  /* each component of a cell's current is the mean over its two faces of that direction, summed over the carriers
     (a zero-flux wall has no record: it adds 0); outward on XMIN is -x */
  for (PetscInt f = 0; f < m->nfaces; f++) {
    const Face    *fc      = &m->faces[f];
    const PetscInt side[2] = {fc->L, fc->R};
    FaceFlux       ff;
    PetscBool      ok;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, NULL, &ok));
    if (!ok) continue;
    for (int s = 0; s < 2; s++)
      if (side[s] >= 0 && m->owned_offset[side[s]] >= 0)
        local[(fc->normal ? OUT_CURRENT_Y : OUT_CURRENT) * nown + OwnedIndex(m, m->local_cell[side[s]])] +=
            0.5 * (fc->side == SIDE_XMIN ? -ff.f[FIELD_PHI] : ff.f[FIELD_PHI]);
  }
  PetscCall(ModelStateRestore(m, U, &u));
  PetscCallMPI(MPI_Comm_rank(m->comm, &rank));
  PetscCallMPI(MPI_Comm_size(m->comm, &size));
  if (!rank) PetscCall(PetscMalloc4(size, &counts, size, &displs, 4 * size, &boxes, MODEL_FIELD_COUNT * n, &all));
  PetscCallMPI(MPI_Gather(box, 4, MPIU_INT, boxes, 4, MPIU_INT, 0, m->comm));
  PetscCallMPI(MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, m->comm));
  if (!rank)
    for (PetscMPIInt r = 0; r < size; r++)
      displs[r] = r ? displs[r - 1] + counts[r - 1] : 0;
  PetscCallMPI(MPI_Gatherv(local, count, MPIU_REAL, all, counts, displs, MPIU_REAL, 0, m->comm));
  PetscCall(PetscFree(local));
  if (!rank) {
    for (PetscMPIInt r = 0; r < size; r++) {
      const PetscInt *q = boxes + 4 * r, nb = q[2] * q[3];
      for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        for (PetscInt jj = 0; jj < q[3]; jj++)
          for (PetscInt ii = 0; ii < q[2]; ii++)
            values[f * n + (q[1] + jj) * m->nx + q[0] + ii] = all[displs[r] + f * nb + jj * q[2] + ii];
    }
    for (PetscInt g = 0; g < n; g++)
      for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        if (!RegionReports(&m->p->region[m->region[g]], &m->layout[m->region[g]], f)) values[f * n + g] = NAN;
    PetscCall(PetscFree4(counts, displs, boxes, all));
  }
  PetscFunctionReturn(0);
}
