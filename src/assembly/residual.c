/* Assembly: the only code that walks the grid. For every cell c,
 *   F_c = F V_c dc/dt + sum over faces of F N.n A - F V_c s_c     (lithium balance, x F)
 *   F_phi = sum over faces of i.n A - V_c s_phi                   (charge conservation)
 * rows in A (A/m^2 per unit area in 1D). One loop visits each face once,
 * evaluates one kernel (bulk flux, Butler-Volmer or boundary) and adds the
 * flux to one side and subtracts it from the other; the Jacobian is built
 * from the same kernel derivatives. Fields a phase does not solve for are
 * held at their fixed value by an identity row. */
#include "model.h"

static PetscReal ElectronConductivity(const Params *p, PhaseType phase)
{
  return phase == PHASE_ACTIVE ? p->active.conductivity : p->lithium_conductivity;
}

static const Kinetics *FaceKinetics(const Model *m, PetscInt electrode_cell)
{
  return m->local_layer[electrode_cell] == LAYER_ANODE ? &m->p->anode_kinetics : &m->p->cathode_kinetics;
}

/* The bulk flux between two states of one phase (or two electron conductors). */
static void BulkFlux(const Model *m, PhaseType a, PhaseType b, const PetscReal uL[], const PetscReal uR[], PetscReal dL, PetscReal dR, FaceFlux *ff)
{
  const Params *p = m->p;

  if (a == PHASE_ELECTROLYTE) {
    if (p->electrolyte.kind == ELECTROLYTE_BINARY)
      FluxBinaryElectrolyte(&p->electrolyte, p->temperature, uL, uR, dL, dR, ff);
    else
      FluxOhm(p->electrolyte.conductivity, p->electrolyte.conductivity, uL, uR, dL, dR, ff);
  } else if (a == PHASE_ACTIVE && b == PHASE_ACTIVE) {
    FaceFlux ohm;
    FluxSolidDiffusion(p->active.diffusivity, p->active.diffusivity, uL, uR, dL, dR, ff);
    FluxOhm(p->active.conductivity, p->active.conductivity, uL, uR, dL, dR, &ohm);
    ff->f[FIELD_PHI] = ohm.f[FIELD_PHI];
    for (int b2 = 0; b2 < 2 * FIELD_COUNT; b2++)
      ff->J[FIELD_PHI][b2] = ohm.J[FIELD_PHI][b2];
  } else
    FluxOhm(ElectronConductivity(p, a), ElectronConductivity(p, b), uL, uR, dL, dR, ff);
}

/* Flux across face fc from L to R (outward from L on a boundary), with its
 * derivatives; *ok is PETSC_FALSE when the states are unphysical. */
static PetscErrorCode FaceEvaluate(const Model *m, const Face *fc, PetscReal t, const PetscScalar *u, FaceFlux *ff, InterfaceFlux *kin, PetscBool *ok)
{
  const PetscReal *uL = u + fc->L * FIELD_COUNT;
  const PhaseType  pL = (PhaseType)m->local_phase[fc->L];

  PetscFunctionBeginUser;
  *ok = PETSC_TRUE;
  if (fc->kind == FACE_BOUNDARY) {
    const Boundary *bc = m->bc[fc->side];
    PetscReal       uB[FIELD_COUNT], value[FIELD_COUNT];

    for (int a = 0; a < FIELD_COUNT; a++)
      value[a] = bc[a].value;
    if (m->bc_function) PetscCall(m->bc_function((Side)fc->side, t, value, m->bc_ctx));
    for (int a = 0; a < FIELD_COUNT; a++)
      uB[a] = bc[a].kind == BC_VALUE ? value[a] : uL[a];
    if (pL == PHASE_ELECTROLYTE && m->p->electrolyte.kind == ELECTROLYTE_BINARY && (uL[FIELD_C] <= 0 || uB[FIELD_C] <= 0)) {
      *ok = PETSC_FALSE;
      PetscFunctionReturn(0);
    }
    BulkFlux(m, pL, pL, uL, uB, fc->dL, 0.0, ff);
    for (int a = 0; a < FIELD_COUNT; a++) {
      for (int b = FIELD_COUNT; b < 2 * FIELD_COUNT; b++)
        ff->J[a][b] = 0.0;
      if (bc[a].kind == BC_FLUX) {
        ff->f[a] = value[a];
        for (int b = 0; b < FIELD_COUNT; b++)
          ff->J[a][b] = 0.0;
      }
    }
    PetscFunctionReturn(0);
  } else {
    const PetscReal *uR = u + fc->R * FIELD_COUNT;
    const PhaseType  pR = (PhaseType)m->local_phase[fc->R];

    if (fc->kind == FACE_INTERFACE) {
      const PetscInt  e  = fc->electrode_left ? fc->L : fc->R;
      const PhaseType pe = (PhaseType)m->local_phase[e];
      InterfaceSetup  s  = {FaceKinetics(m, e),
                            &m->p->electrolyte,
                          pe == PHASE_ACTIVE ? &m->p->active : NULL,
                            m->p->temperature,
                            ElectronConductivity(m->p, pe),
                          fc->electrode_left ? fc->dL : fc->dR,
                          fc->electrode_left ? fc->dR : fc->dL};
      InterfaceFlux   k;

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
    if (pL == PHASE_ELECTROLYTE && m->p->electrolyte.kind == ELECTROLYTE_BINARY && (uL[FIELD_C] <= 0 || uR[FIELD_C] <= 0))
      *ok = PETSC_FALSE;
    else
      BulkFlux(m, pL, pR, uL, uR, fc->dL, fc->dR, ff);
    PetscFunctionReturn(0);
  }
}

/* A field held at its value in m->held (ModelHold): a field with a time derivative. */
static inline PetscBool Held(const Model *m, PetscInt k, int a)
{
  return (PetscBool)(m->held && a == FIELD_C && PhaseHasDynamics(m->p, (PhaseType)m->local_phase[k]));
}

/* Cell terms: accumulation, manufactured sources, identity rows, held
 * fields (whose rows replace the balance that was summed into them). u is
 * the ghosted state at local cell k; udot, held and f are the rank's global
 * arrays at its owned index g. */
static PetscErrorCode CellResidual(const Model *m, PetscInt k, PetscInt g, PetscReal t, const PetscScalar *u, const PetscScalar *udot,
                                   const PetscScalar *held, PetscScalar *f, PetscBool *ok)
{
  const PhaseType ph             = (PhaseType)m->local_phase[k];
  const PetscReal V              = m->local_volume[k];
  PetscReal       s[FIELD_COUNT] = {0, 0};

  PetscFunctionBeginUser;
  if (m->source) PetscCall(m->source(m->local_x[k], t, ph, s, m->source_ctx));
  for (int a = 0; a < FIELD_COUNT; a++) {
    const PetscInt  r  = g * FIELD_COUNT + a;
    const PetscReal ua = u[k * FIELD_COUNT + a];
    if (!PhaseHasField(m->p, ph, (FieldIndex)a)) {
      f[r] = ua - ModelFixedValue(m, ph, (FieldIndex)a);
      continue;
    }
    if (a == FIELD_C) {
      f[r] = Held(m, k, a) ? ua - held[r] : f[r] + FARADAY * V * (udot[r] - s[a]);
      if (ua <= 0 || (ph == PHASE_ACTIVE && ua >= m->p->active.max_concentration)) *ok = PETSC_FALSE;
    } else
      f[r] -= V * s[a];
  }
  PetscFunctionReturn(0);
}

/* The state with its ghost cells: the global array itself on a rank
 * without ghosts (one rank), else a scattered local copy. */
static PetscErrorCode StateGet(Model *m, Vec U, Vec *Ul, const PetscScalar **u)
{
  PetscFunctionBeginUser;
  *Ul = NULL;
  if (m->no_ghosts)
    PetscCall(VecGetArrayRead(U, u));
  else {
    PetscCall(DMGetLocalVector(m->da, Ul));
    PetscCall(DMGlobalToLocal(m->da, U, INSERT_VALUES, *Ul));
    PetscCall(VecGetArrayRead(*Ul, u));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode StateRestore(Model *m, Vec U, Vec *Ul, const PetscScalar **u)
{
  PetscFunctionBeginUser;
  if (*Ul) {
    PetscCall(VecRestoreArrayRead(*Ul, u));
    PetscCall(DMRestoreLocalVector(m->da, Ul));
  } else
    PetscCall(VecRestoreArrayRead(U, u));
  PetscFunctionReturn(0);
}

/* Adds a face flux to the owned side(s): out of L, into R. */
static void AddFlux(const Model *m, const Face *fc, const FaceFlux *ff, PetscScalar *f)
{
  const PetscInt side[2] = {fc->L, fc->R};
  for (int s = 0; s < 2; s++) {
    const PetscInt k = side[s];
    if (k < 0 || m->local_owned[k] < 0) continue;
    for (int a = 0; a < FIELD_COUNT; a++)
      if (PhaseHasField(m->p, (PhaseType)m->local_phase[k], (FieldIndex)a))
        f[m->local_owned[k] * FIELD_COUNT + a] += (s ? -1 : 1) * fc->area * ff->f[a];
  }
}

/* The fluxes of every face at state u, kept for the next call at the same
 * state (compared bit for bit): in a Newton iteration the Jacobian follows
 * the residual at the same state, and the interface kinetics (an inner
 * solve per face) need not run twice. Boundary faces are evaluated every
 * time: their values change with the protocol step, not with the state. */
static PetscErrorCode FacesEvaluate(Model *m, PetscReal t, const PetscScalar *u)
{
  const size_t    bytes = (size_t)m->nlocal * FIELD_COUNT * sizeof(PetscScalar);
  const PetscBool same  = (PetscBool)(t == m->flux_time && !memcmp(u, m->flux_u, bytes));

  PetscFunctionBeginUser;
  for (PetscInt n = 0; n < m->nfaces; n++)
    if (!same || m->faces[n].kind == FACE_BOUNDARY) PetscCall(FaceEvaluate(m, &m->faces[n], t, u, &m->flux[n], NULL, &m->flux_ok[n]));
  if (!same) PetscCall(PetscMemcpy(m->flux_u, u, bytes));
  m->flux_time = t;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelIFunction(TS ts, PetscReal t, Vec U, Vec Udot, Vec F, void *ctx)
{
  Model             *m = (Model *)ctx;
  Vec                Ul;
  const PetscScalar *u, *udot, *held = NULL;
  PetscScalar       *f;
  PetscBool          ok = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(StateGet(m, U, &Ul, &u));
  PetscCall(VecGetArrayRead(Udot, &udot));
  if (m->held) PetscCall(VecGetArrayRead(m->held, &held));
  PetscCall(VecZeroEntries(F));
  PetscCall(VecGetArray(F, &f));
  PetscCall(FacesEvaluate(m, t, u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    if (m->flux_ok[n])
      AddFlux(m, &m->faces[n], &m->flux[n], f);
    else
      ok = PETSC_FALSE;
  }
  for (PetscInt k = 0; k < m->nlocal; k++)
    if (m->local_owned[k] >= 0) PetscCall(CellResidual(m, k, m->local_owned[k], t, u, udot, held, f, &ok));
  PetscCall(VecRestoreArray(F, &f));
  if (m->held) PetscCall(VecRestoreArrayRead(m->held, &held));
  PetscCall(VecRestoreArrayRead(Udot, &udot));
  PetscCall(StateRestore(m, U, &Ul, &u));
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
 * order of the loops below: for every face, the rows of each owned side
 * against the 2 x FIELD_COUNT columns of the two cells; then the diagonal of
 * every owned cell. JacobianEntries lists their (row, column) once per
 * matrix (negative indices are ignored: rows of fields a phase does not
 * solve for, the missing cell of a boundary face); ModelIJacobian fills the
 * values in the same order and hands them over with one MatSetValuesCOO,
 * which sums repeated entries. The two walks are kept apart (and checked to
 * agree in length) because one walk serving both costs 8 % more
 * instructions in the Newton loop. */
static PetscCount JacobianEntries(const Model *m, PetscInt *rows, PetscInt *cols)
{
  PetscCount n = 0;

  for (PetscInt f = 0; f < m->nfaces; f++) {
    const Face    *fc      = &m->faces[f];
    const PetscInt side[2] = {fc->L, fc->R};
    for (int s = 0; s < 2; s++) {
      const PetscInt k = side[s];
      if (k < 0 || m->local_owned[k] < 0) continue;
      for (int a = 0; a < FIELD_COUNT; a++)
        for (int b = 0; b < 2 * FIELD_COUNT; b++, n++) {
          const PetscInt c = side[b / FIELD_COUNT];
          if (!rows) continue;
          rows[n] = PhaseHasField(m->p, (PhaseType)m->local_phase[k], (FieldIndex)a) ? k * FIELD_COUNT + a : -1;
          cols[n] = c >= 0 ? c * FIELD_COUNT + b % FIELD_COUNT : -1;
        }
    }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    if (m->local_owned[k] < 0) continue;
    for (int a = 0; a < FIELD_COUNT; a++, n++)
      if (rows) rows[n] = cols[n] = k * FIELD_COUNT + a;
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
  Vec                Ul;
  const PetscScalar *u;
  PetscScalar       *v;
  PetscCount         n = 0;

  PetscFunctionBeginUser;
  (void)ts, (void)Udot; /* unused: PETSc's callback signature */
  PetscCall(JacobianPreallocate(m, P));
  v = m->jac_values;
  PetscCall(StateGet(m, U, &Ul, &u));
  PetscCall(FacesEvaluate(m, t, u));
  for (PetscInt f = 0; f < m->nfaces; f++) {
    const Face     *fc      = &m->faces[f];
    const FaceFlux *ff      = &m->flux[f];
    const PetscInt  side[2] = {fc->L, fc->R};

    for (int s = 0; s < 2; s++) {
      if (side[s] < 0 || m->local_owned[side[s]] < 0) continue;
      for (int a = 0; a < FIELD_COUNT; a++)
        for (int b = 0; b < 2 * FIELD_COUNT; b++)
          v[n++] = m->flux_ok[f] && !Held(m, side[s], a) ? (s ? -1 : 1) * fc->area * ff->J[a][b] : 0.0;
    }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PhaseType ph = (PhaseType)m->local_phase[k];
    if (m->local_owned[k] < 0) continue;
    for (int a = 0; a < FIELD_COUNT; a++)
      v[n++] = !PhaseHasField(m->p, ph, (FieldIndex)a) || Held(m, k, a) ? 1.0 : (a == FIELD_C ? shift * FARADAY * m->local_volume[k] : 0.0);
  }
  PetscCall(StateRestore(m, U, &Ul, &u));
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
  const PhaseType ph = (PhaseType)m->local_phase[fc->L];
  return u[fc->L * FIELD_COUNT + FIELD_PHI] - ff->f[FIELD_PHI] * fc->dL / ElectronConductivity(m->p, ph);
}

PetscErrorCode ModelObserve(Model *m, PetscReal t, Vec U, Observation *obs)
{
  Vec                Ul;
  const PetscScalar *u;
  PetscReal          sum[4] = {0, 0, 0, 0}, mins[3] = {PETSC_MAX_REAL, PETSC_MAX_REAL, PETSC_MAX_REAL}, gsum[4], gmin[3];

  PetscFunctionBeginUser;
  PetscCall(StateGet(m, U, &Ul, &u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (fc->kind == FACE_BOUNDARY) PetscCall(FaceEvaluate(m, fc, t, u, &ff, NULL, &ok));
    if (fc->kind == FACE_BOUNDARY && ok) {
      const PetscReal phi_b = BoundaryPotential(m, fc, u, &ff);
      if (fc->side == SIDE_XMAX) sum[0] += phi_b * fc->area, sum[1] += ff.f[FIELD_PHI] * fc->area, sum[3] += fc->area;
      if (fc->side == SIDE_XMIN) sum[0] -= phi_b * fc->area;
    }
    if (fc->kind == FACE_INTERFACE) {
      const PetscBool active = (PetscBool)(m->local_phase[fc->electrode_left ? fc->L : fc->R] == PHASE_ACTIVE);
      PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok));
      if (m->p->electrolyte.kind == ELECTROLYTE_BINARY) mins[0] = PetscMin(mins[0], ok ? k.c_face : 0.0);
      if (active && ok) mins[1] = PetscMin(mins[1], k.theta_face), mins[2] = PetscMin(mins[2], -k.theta_face);
    }
  }
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PhaseType ph = (PhaseType)m->local_phase[k];
    if (m->local_owned[k] < 0 || !PhaseHasDynamics(m->p, ph)) continue;
    sum[2] += u[k * FIELD_COUNT + FIELD_C] * m->local_volume[k];
  }
  PetscCall(StateRestore(m, U, &Ul, &u));
  PetscCall(MPIU_Allreduce(sum, gsum, 4, MPIU_REAL, MPIU_SUM, m->comm));
  PetscCall(MPIU_Allreduce(mins, gmin, 3, MPIU_REAL, MPIU_MIN, m->comm));
  /* both ends are averaged over their area (one face in 1D) */
  obs->voltage                     = gsum[3] > 0 ? gsum[0] / gsum[3] : 0.0;
  obs->current                     = gsum[3] > 0 ? gsum[1] / gsum[3] : 0.0;
  obs->lithium_inventory           = gsum[2];
  obs->min_interface_concentration = gmin[0] < PETSC_MAX_REAL ? gmin[0] : m->p->electrolyte.concentration;
  obs->min_theta                   = gmin[1] < PETSC_MAX_REAL ? gmin[1] : 0.5;
  obs->max_theta                   = gmin[2] < PETSC_MAX_REAL ? -gmin[2] : 0.5;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelInterfaceCurrents(Model *m, PetscReal t, Vec U, PetscReal *values)
{
  Vec                Ul;
  const PetscScalar *u;
  PetscReal         *local;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(m->ninterfaces + 1, &local));
  PetscCall(StateGet(m, U, &Ul, &u));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face   *fc = &m->faces[n];
    FaceFlux      ff;
    InterfaceFlux k;
    PetscBool     ok;
    if (fc->kind != FACE_INTERFACE || !fc->counted) continue;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, &k, &ok));
    if (ok) local[fc->interface] = k.i;
  }
  PetscCall(StateRestore(m, U, &Ul, &u));
  PetscCall(MPIU_Allreduce(local, values, m->ninterfaces, MPIU_REAL, MPIU_SUM, m->comm));
  PetscCall(PetscFree(local));
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCellCurrents(Model *m, PetscReal t, Vec U, Vec currents)
{
  Vec                Ul;
  const PetscScalar *u;
  PetscScalar       *cur;

  PetscFunctionBeginUser;
  PetscCall(StateGet(m, U, &Ul, &u));
  PetscCall(VecZeroEntries(currents));
  PetscCall(VecGetArray(currents, &cur));
  for (PetscInt n = 0; n < m->nfaces; n++) {
    const Face    *fc      = &m->faces[n];
    const PetscInt side[2] = {fc->L, fc->R};
    FaceFlux       ff;
    PetscBool      ok;
    PetscCall(FaceEvaluate(m, fc, t, u, &ff, NULL, &ok));
    if (!ok) continue;
    /* the x current of a cell is the mean of its two x faces; outward on XMIN is -x */
    for (int s = 0; s < 2; s++)
      if (side[s] >= 0 && m->local_owned[side[s]] >= 0)
        cur[m->local_owned[side[s]] * FIELD_COUNT + FIELD_PHI] += 0.5 * (fc->side == SIDE_XMIN ? -ff.f[FIELD_PHI] : ff.f[FIELD_PHI]);
  }
  PetscCall(VecRestoreArray(currents, &cur));
  PetscCall(StateRestore(m, U, &Ul, &u));
  PetscFunctionReturn(0);
}
