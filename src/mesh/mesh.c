/* The mesh: a cell-centred DMDA grid with one phase per cell, the layer
 * geometry of a 1D stack (optionally graded toward the layer ends), the
 * unknown layout and the face list that the assembly walks.
 *
 * Layout: each cell carries the unknowns its region's phase solves for
 * (phase.c), so the DMDA has one dof per cell and serves only as the
 * partition of the grid and its ghost pattern. Unknowns are numbered cell by
 * cell in PETSc's ordering of the cells (rank blocks, x fastest), the
 * ghosted patch gets a local numbering and a scatter from the global
 * vector, and the Jacobian a local-to-global map. A face between two ranks
 * is listed on both, and each adds the flux to its own cell only, so no
 * rank writes into another's rows (owner computes). Directions with one
 * cell have no faces, which is what makes 1D and 2D one loop. No physics
 * here beyond the phase table's answers. */
#include "model.h"
#include "phasemap.h"

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

/* An electrode surface that reacts with an electrolyte across a face. */
static PetscBool IsInterface(PhaseType a, PhaseType b)
{
  const PetscBool ea = (PetscBool)(a == PHASE_LITHIUM || a == PHASE_ACTIVE), eb = (PetscBool)(b == PHASE_LITHIUM || b == PHASE_ACTIVE);
  return (PetscBool)((ea && b == PHASE_ELECTROLYTE) || (eb && a == PHASE_ELECTROLYTE));
}

static PetscBool ShortCircuit(PhaseType a, PhaseType b)
{
  return (PetscBool)((a == PHASE_LITHIUM && (b == PHASE_ACTIVE || b == PHASE_COMPOSITE)) ||
                     (b == PHASE_LITHIUM && (a == PHASE_ACTIVE || a == PHASE_COMPOSITE)));
}

/* The kernel's (c, phi) of local cell k in a view: indices into the
 * ghosted state and the rank's rows, and the value of a field it lacks. */
VarKind ViewVar(View view, FieldIndex a)
{
  static const VarKind v[VIEW_COUNT][FIELD_COUNT] = {{VAR_C_E, VAR_PHI_E}, {VAR_C_S, VAR_PHI_S}};
  return v[view][a];
}

static void ViewOf(const Model *m, PetscInt k, View view, PetscInt col[FIELD_COUNT], PetscInt row[FIELD_COUNT], PetscReal fixed[FIELD_COUNT])
{
  const Region     *r = &m->p->region[m->local_region[k]];
  const CellLayout *l = &m->layout[m->local_region[k]];

  for (int a = 0; a < FIELD_COUNT; a++) {
    const VarKind   var = ViewVar(view, (FieldIndex)a);
    const PetscBool has =
        (PetscBool)(l->count[var] > 0 && !(var == VAR_C_S && r->phase == PHASE_COMPOSITE)); /* particles do not touch across faces */
    col[a]   = has ? m->local_offset[k] + l->offset[var] : -1;
    row[a]   = has && m->owned_offset[k] >= 0 ? m->owned_offset[k] + l->offset[var] : -1;
    fixed[a] = RegionFixedValue(r, var);
  }
}

static void FaceViews(const Model *m, Face *f, View vL, View vR)
{
  ViewOf(m, f->L, vL, f->col[0], f->row[0], f->fixed[0]);
  if (f->R >= 0)
    ViewOf(m, f->R, vR, f->col[1], f->row[1], f->fixed[1]);
  else
    for (int a = 0; a < FIELD_COUNT; a++)
      f->col[1][a] = f->row[1][a] = -1, f->fixed[1][a] = 0.0;
}

/* The flux records of the x face left of local cell k (or, with boundary
 * side, of cell k's boundary face). Appends to m->faces. */
static void AddFaces(Model *m, PetscInt kL, PetscInt kR, Face geometry, PetscInt *nf)
{
  const PhaseType  pL = (PhaseType)m->local_phase[kL];
  const PhaseInfo *iL = PhaseGet(pL);

  if (kR < 0) { /* a boundary face: one record per carrier of the cell */
    for (int v = 0; v < VIEW_COUNT; v++) {
      Face f = geometry;
      if (!(v == VIEW_ION ? iL->ions : iL->electrons)) continue;
      f.kind = FACE_BOUNDARY, f.view = (View)v, f.L = kL, f.R = -1;
      FaceViews(m, &f, (View)v, (View)v);
      m->faces[(*nf)++] = f;
    }
    return;
  }
  {
    const PhaseType  pR = (PhaseType)m->local_phase[kR];
    const PhaseInfo *iR = PhaseGet(pR);
    Face             f  = geometry;
    f.L = kL, f.R = kR;
    if (IsInterface(pL, pR)) {
      f.kind           = FACE_INTERFACE;
      f.electrode_left = (PetscBool)(pR == PHASE_ELECTROLYTE);
      FaceViews(m, &f, f.electrode_left ? VIEW_SOLID : VIEW_ION, f.electrode_left ? VIEW_ION : VIEW_SOLID);
      m->faces[(*nf)++] = f;
      return;
    }
    f.interface = -1;
    if (iL->ions && iR->ions) {
      f.kind = FACE_ION, f.view = VIEW_ION;
      FaceViews(m, &f, VIEW_ION, VIEW_ION);
      m->faces[(*nf)++] = f;
    }
    if (iL->electrons && iR->electrons) {
      f.kind = pL == PHASE_ACTIVE && pR == PHASE_ACTIVE ? FACE_SOLID : FACE_ELECTRON, f.view = VIEW_SOLID;
      FaceViews(m, &f, VIEW_SOLID, VIEW_SOLID);
      m->faces[(*nf)++] = f;
    }
  }
}

/* Rows are balances in A/m^2 whose size follows the cell conductance: a
 * lithium cell has sigma/h ~ 1e12 A/(m^2 V). Dividing each row by its
 * conductance (V / h^2 sigma, V / h^2 F D) expresses it in volts or mol/m^3,
 * so Newton tolerances mean the same thing in every phase. An electron
 * conductor's rows are divided by at most METAL_ROW_CONDUCTIVITY: a
 * lithium counter-electrode under a given current is tied to the
 * electrolyte only through its interface kinetics, and divided by its own
 * 1e7 S/m that tie (i0 F/RT h) shrinks to 1e-9 of the row, below what a
 * Krylov residual sees: the 2D void case then stopped with its voltage
 * 0.4 % off, and even LU lost digits to rounding in that mode. */
#define METAL_ROW_CONDUCTIVITY 100.0 /* S/m */
static PetscReal RowScale(const Model *m, PetscInt k, PetscInt i, PetscInt j, VarKind v, PetscInt shell)
{
  const Region    *r  = &m->p->region[m->local_region[k]];
  const CellProps *c  = &m->props[k];
  const PetscReal  h2 = m->hx[i] * m->hx[i] / (m->hx[i] * m->hy[j]);

  switch (v) {
  case VAR_PHI_E:
    return h2 / (r->electrolyte.conductivity * c->ion_transport);
  case VAR_PHI_S:
    return h2 / PetscMin(c->sigma_s, METAL_ROW_CONDUCTIVITY);
  case VAR_C_E:
    return h2 / (FARADAY * r->electrolyte.diffusivity * c->ion_transport);
  case VAR_C_SURF: {
    CompositeCell cc;
    ModelCompositeCell(m, k, &cc);
    return CompositeSurfaceScale(&cc, m->layout[m->local_region[k]].count[VAR_C_S]);
  }
  default:
    if (r->phase == PHASE_COMPOSITE) {
      CompositeCell cc;
      ModelCompositeCell(m, k, &cc);
      return CompositeShellScale(&cc, m->layout[m->local_region[k]].count[VAR_C_S], shell);
    }
    return h2 / (FARADAY * r->active.diffusivity);
  }
}

/* The fractional position of column i across region r, 0 on the side
 * that faces the membrane: from the x extent of the region's cells (a
 * layer in 1D, wherever the map puts it in 2D). */
static PetscReal RegionPosition(const Model *m, PetscInt r, PetscInt i, const PetscReal extent[][2])
{
  const Params   *p        = m->p;
  PetscInt        membrane = 0;
  const PetscReal s        = (m->x_centres[i] - extent[r][0]) / (extent[r][1] - extent[r][0]);

  while (membrane < p->nregions && p->region[membrane].phase != PHASE_ELECTROLYTE)
    membrane++;
  return r >= membrane ? s : 1.0 - s;
}

/* The unknown layout (see the head of the file) and the per-unknown
 * coefficients: storage (F V eps of du/dt), row scale, potential or not. */
static PetscErrorCode ModelLayout(Model *m)
{
  const PetscInt *lx, *ly;
  PetscInt        px, py, off = 0, x0, y0, rstart = 0, *owned_cell;
  PetscScalar    *scale;

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < MAX_REGIONS; r++) { /* beyond nregions: REGION_VOID (phasemap.h) and unused slots, no unknowns */
    const Region *reg = &m->p->region[r];
    RegionCellLayout(reg, &m->layout[r]);
    if (reg->phase == PHASE_COMPOSITE) {
      PetscCall(PetscMalloc1(reg->composite.shells + 1, &m->xi[r]));
      ShellFaces(reg->composite.shells, reg->composite.shell_grading, m->xi[r]);
      m->pattern_count[r] = CompositeCellPattern(&m->layout[r], NULL, NULL);
      PetscCall(PetscMalloc2(m->pattern_count[r], &m->pattern_rows[r], m->pattern_count[r], &m->pattern_cols[r]));
      CompositeCellPattern(&m->layout[r], m->pattern_rows[r], m->pattern_cols[r]);
    }
  }
  /* global numbering: rank blocks in rank order, x fastest inside a block */
  PetscCall(DMDAGetInfo(m->da, NULL, NULL, NULL, NULL, &px, &py, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(m->da, &lx, &ly, NULL));
  PetscCall(PetscMalloc1(m->nx * m->ny, &m->cell_offset));
  y0 = 0;
  for (PetscInt rj = 0; rj < py; rj++) {
    const PetscInt ny = ly ? ly[rj] : 1;
    x0                = 0;
    for (PetscInt ri = 0; ri < px; x0 += lx[ri], ri++) {
      if (x0 == m->xs && y0 == m->ys) rstart = off;
      for (PetscInt j = y0; j < y0 + ny; j++)
        for (PetscInt i = x0; i < x0 + lx[ri]; i++) {
          m->cell_offset[j * m->nx + i] = off;
          off += m->layout[m->region[j * m->nx + i]].ndof;
        }
    }
    y0 += ny;
  }
  PetscCheck(off < PETSC_MAX_INT, m->comm, PETSC_ERR_USER_INPUT, "the mesh has %" PetscInt_FMT " unknowns, more than this build's indices hold", off);
  m->nghosted = 0, m->nowned = 0;
  PetscCall(PetscMalloc1(m->nlocal, &owned_cell));
  for (PetscInt j = m->gys, k = 0; j < m->gys + m->gym; j++)
    for (PetscInt i = m->gxs; i < m->gxs + m->gxm; i++, k++)
      owned_cell[k] = i >= m->xs && i < m->xs + m->xm && j >= m->ys && j < m->ys + m->ym;
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PetscInt n   = m->layout[m->local_region[k]].ndof;
    m->local_offset[k] = m->nghosted;
    m->owned_offset[k] = owned_cell[k] ? m->cell_offset[m->local_cell[k]] - rstart : -1;
    m->nghosted += n;
    if (owned_cell[k]) m->nowned += n;
  }
  PetscCall(PetscFree(owned_cell));
  PetscCall(PetscMalloc3(m->nghosted, &m->local_global, m->nowned, &m->storage, m->nowned, &m->potential));
  for (PetscInt k = 0; k < m->nlocal; k++)
    for (PetscInt d = 0; d < m->layout[m->local_region[k]].ndof; d++)
      m->local_global[m->local_offset[k] + d] = m->cell_offset[m->local_cell[k]] + d;
  PetscCall(ISLocalToGlobalMappingCreate(PETSC_COMM_SELF, 1, m->nghosted, m->local_global, PETSC_COPY_VALUES, &m->l2g));
  m->no_ghosts = (PetscBool)(m->nghosted == m->nowned);
  PetscCall(VecCreateMPI(m->comm, m->nowned, PETSC_DETERMINE, &m->row_scale));
  if (!m->no_ghosts) {
    IS from;
    PetscCall(VecCreateSeq(PETSC_COMM_SELF, m->nghosted, &m->Ulocal));
    PetscCall(ISCreateGeneral(PETSC_COMM_SELF, m->nghosted, m->local_global, PETSC_USE_POINTER, &from));
    PetscCall(VecScatterCreate(m->row_scale, from, m->Ulocal, NULL, &m->to_local));
    PetscCall(ISDestroy(&from));
  }
  /* per-unknown coefficients of the owned cells */
  PetscCall(VecGetArray(m->row_scale, &scale));
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const PetscInt    g = m->local_cell[k], i = g % m->nx, j = g / m->nx, o = m->owned_offset[k];
    const CellLayout *l = &m->layout[m->local_region[k]];
    const CellProps  *c = &m->props[k];
    if (o < 0) continue;
    for (int v = 0; v < VAR_COUNT; v++)
      for (PetscInt n = 0; n < l->count[v]; n++) {
        const PetscInt r = o + l->offset[v] + n;
        PetscReal      eps;
        if (v == VAR_C_E)
          eps = c->electrolyte_fraction;
        else if (v == VAR_C_S)
          eps = m->p->region[m->local_region[k]].phase == PHASE_COMPOSITE ? c->active_fraction * ShellVolumeShare(m->xi[m->local_region[k]], n) : 1.0;
        else
          eps = 0.0;
        m->storage[r]   = FARADAY * m->local_volume[k] * eps;
        m->potential[r] = VarIsPotential((VarKind)v);
        scale[r]        = RowScale(m, k, i, j, (VarKind)v, n);
      }
  }
  PetscCall(VecRestoreArray(m->row_scale, &scale));
  PetscFunctionReturn(0);
}

/* Local index of ghosted cell (i, j), j unwrapped. */
static inline PetscInt LocalCell(const Model *m, PetscInt i, PetscInt j)
{
  return (j - m->gys) * m->gxm + (i - m->gxs);
}

/* Row j of the grid, wrapped when the lateral boundaries are periodic. */
static inline PetscInt WrapRow(const Model *m, PetscInt j)
{
  return (j % m->ny + m->ny) % m->ny;
}

/* Lithium sharing a face with a cathode solid: refused before anything is built. */
static PetscErrorCode CheckShortCircuits(const Model *m)
{
  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < m->nx * m->ny; c++) {
    const PetscInt i = c % m->nx, j = c / m->nx, up = WrapRow(m, j + 1) * m->nx + i;
    PetscCheck(!(i + 1 < m->nx && ShortCircuit((PhaseType)m->phase[c], (PhaseType)m->phase[c + 1])), m->comm, PETSC_ERR_USER_INPUT,
               "Lithium touches the cathode at x = %g um, y = %g um: the cell is short-circuited; put an electrolyte between them",
               (double)(m->x_faces[i + 1] * 1e6), (double)(m->y_centres[j] * 1e6));
    PetscCheck(!(m->ny > 1 && (j + 1 < m->ny || m->periodic) && ShortCircuit((PhaseType)m->phase[c], (PhaseType)m->phase[up])), m->comm,
               PETSC_ERR_USER_INPUT,
               "Lithium touches the cathode at x = %g um, y = %g um: the cell is short-circuited; put an electrolyte between them",
               (double)(m->x_centres[i] * 1e6), (double)(m->y_faces[j + 1] * 1e6));
  }
  PetscFunctionReturn(0);
}

/* Interface faces, numbered globally: the x faces in order of their left
 * cell, then the y faces in order of their upper cell (the face below it),
 * with their geometry for the output. */
static PetscErrorCode NumberInterfaces(Model *m, PetscInt *of_x, PetscInt *of_y)
{
  PetscInt n = 0;

  PetscFunctionBeginUser;
  for (PetscInt g = 0; g < m->nx * m->ny; g++)
    of_x[g] = (g % m->nx + 1 < m->nx && IsInterface((PhaseType)m->phase[g], (PhaseType)m->phase[g + 1])) ? n++ : -1;
  for (PetscInt g = 0; g < m->nx * m->ny; g++) {
    const PetscInt i = g % m->nx, j = g / m->nx, below = WrapRow(m, j - 1) * m->nx + i;
    of_y[g] = m->ny > 1 && (j > 0 || m->periodic) && IsInterface((PhaseType)m->phase[below], (PhaseType)m->phase[g]) ? n++ : -1;
  }
  m->ninterfaces = n;
  PetscCall(PetscMalloc1(4 * n + 1, &m->interface_geometry));
  for (PetscInt g = 0; g < m->nx * m->ny; g++) {
    const PetscInt i = g % m->nx, j = g / m->nx;
    if (of_x[g] >= 0) {
      PetscReal *q = m->interface_geometry + 4 * of_x[g];
      q[0] = m->x_faces[i + 1], q[1] = m->y_centres[j], q[2] = 0, q[3] = m->ny > 1 ? m->hy[j] : 1.0;
    }
    if (of_y[g] >= 0) {
      PetscReal *q = m->interface_geometry + 4 * of_y[g];
      q[0] = m->x_centres[i], q[1] = m->y_faces[j], q[2] = 1, q[3] = m->hx[i];
    }
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode ModelSetUp(Model *m)
{
  PetscInt nf = 0, cap, *of_x, *of_y;
  PetscReal(*extent)[2];

  PetscFunctionBeginUser;
  PetscCall(CheckShortCircuits(m));
  /* no DMSetFromOptions: the grid is the config's, and options such as -da_grid_x must not resize it under the model */
  if (m->ny == 1)
    PetscCall(DMDACreate1d(m->comm, DM_BOUNDARY_NONE, m->nx, 1, 1, NULL, &m->da));
  else
    PetscCall(DMDACreate2d(m->comm, DM_BOUNDARY_NONE, m->periodic ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, m->nx, m->ny,
                           PETSC_DECIDE, PETSC_DECIDE, 1, 1, NULL, NULL, &m->da));
  PetscCall(DMSetUp(m->da));
  PetscCall(DMDAGetCorners(m->da, &m->xs, &m->ys, NULL, &m->xm, &m->ym, NULL));
  PetscCall(DMDAGetGhostCorners(m->da, &m->gxs, &m->gys, NULL, &m->gxm, &m->gym, NULL));
  m->nlocal = m->gxm * m->gym;
  PetscCall(PetscMalloc6(m->nlocal, &m->local_phase, m->nlocal, &m->local_region, m->nlocal, &m->local_cell, m->nlocal, &m->local_volume, m->nlocal,
                         &m->local_x, m->nlocal, &m->local_y));
  PetscCall(PetscMalloc3(m->nlocal, &m->local_offset, m->nlocal, &m->owned_offset, m->nlocal, &m->props));
  PetscCall(PetscMalloc1(MAX_REGIONS, &extent));
  for (PetscInt r = 0; r < MAX_REGIONS; r++)
    extent[r][0] = PETSC_MAX_REAL, extent[r][1] = -PETSC_MAX_REAL;
  for (PetscInt g = 0; g < m->nx * m->ny; g++) {
    const PetscInt i = g % m->nx, r = m->region[g];
    extent[r][0] = PetscMin(extent[r][0], m->x_faces[i]), extent[r][1] = PetscMax(extent[r][1], m->x_faces[i + 1]);
  }
  for (PetscInt j = m->gys; j < m->gys + m->gym; j++) {
    for (PetscInt i = m->gxs; i < m->gxs + m->gxm; i++) {
      const PetscInt k = LocalCell(m, i, j), jw = WrapRow(m, j), g = jw * m->nx + i;
      m->local_phase[k]  = m->phase[g];
      m->local_region[k] = m->region[g];
      m->local_cell[k]   = g;
      m->local_volume[k] = m->hx[i] * m->hy[jw];
      m->local_x[k]      = m->x_centres[i];
      m->local_y[k]      = m->y_centres[jw];
      RegionCellProps(&m->p->region[m->region[g]], RegionPosition(m, m->region[g], i, (const PetscReal(*)[2])extent), &m->props[k]);
    }
  }
  PetscCall(PetscFree(extent));
  PetscCall(ModelLayout(m));
  PetscCall(PetscMalloc2(m->nx * m->ny, &of_x, m->nx * m->ny, &of_y));
  PetscCall(NumberInterfaces(m, of_x, of_y));

  /* x faces: the face left of each owned cell and the right face of the last one; y faces: the face
   * below each owned cell and the one above the last, none on a zero-flux wall (it carries nothing);
   * at most two records each */
  cap = 2 * (m->xm + 1) * m->ym + (m->ny > 1 ? 2 * m->xm * (m->ym + 1) : 0);
  PetscCall(PetscMalloc1(cap, &m->faces));
  for (PetscInt j = m->ys; j < m->ys + m->ym; j++) {
    for (PetscInt i = m->xs; i <= m->xs + m->xm; i++) {
      const PetscInt k = LocalCell(m, i, j);
      Face           f = {
                    .side = -1, .R = -1, .interface = -1, .counted = (PetscBool)(i < m->xs + m->xm || i == m->nx), .area = m->hy[j], .y = m->y_centres[j]};
      if (i == m->nx) { /* right boundary of the last cell */
        f.side = SIDE_XMAX, f.dL = 0.5 * m->hx[i - 1], f.x = m->x_faces[i];
        AddFaces(m, k - 1, -1, f, &nf);
      } else if (i == 0) {
        f.side = SIDE_XMIN, f.dL = 0.5 * m->hx[0], f.x = 0.0;
        AddFaces(m, k, -1, f, &nf);
      } else {
        f.dL = 0.5 * m->hx[i - 1], f.dR = 0.5 * m->hx[i], f.x = m->x_faces[i];
        f.interface = of_x[j * m->nx + i - 1];
        AddFaces(m, k - 1, k, f, &nf);
      }
    }
  }
  if (m->ny > 1)
    for (PetscInt i = m->xs; i < m->xs + m->xm; i++)
      for (PetscInt j = m->ys; j <= m->ys + m->ym; j++) {
        const PetscInt jL = WrapRow(m, j - 1), jR = WrapRow(m, j);
        Face f = {.side = -1, .normal = 1, .counted = (PetscBool)(j < m->ys + m->ym), .area = m->hx[i], .x = m->x_centres[i], .y = m->y_faces[j]};
        if (!m->periodic && (j == 0 || j == m->ny)) continue;
        f.dL = 0.5 * m->hy[jL], f.dR = 0.5 * m->hy[jR];
        f.interface = of_y[jR * m->nx + i];
        AddFaces(m, LocalCell(m, i, j - 1), LocalCell(m, i, j), f, &nf);
      }
  m->nfaces = nf;
  PetscCall(PetscRealloc(sizeof(Face) * (size_t)PetscMax(nf, 1), &m->faces)); /* most faces carry one record, not the two allowed for */
  {
    PetscBool composite = PETSC_FALSE; /* only composite cells have a reaction of their own */
    for (PetscInt k = 0; k < m->nlocal && !composite; k++)
      composite = (PetscBool)(m->local_phase[k] == PHASE_COMPOSITE);
    PetscCall(PetscMalloc4(nf, &m->flux, nf, &m->flux_ok, m->nghosted, &m->flux_u, composite ? m->nlocal : 1, &m->reaction));
  }
  m->flux_time = NAN;
  PetscCall(PetscFree2(of_x, of_y));
  for (PetscInt s = 0; s < SIDE_COUNT; s++)
    for (PetscInt v = 0; v < VIEW_COUNT; v++)
      for (PetscInt a = 0; a < FIELD_COUNT; a++)
        m->bc[s][v][a] = (Boundary){BC_FLUX, 0.0};
  m->bc[SIDE_XMIN][VIEW_SOLID][FIELD_PHI] = (Boundary){BC_VALUE, 0.0}; /* the anode end is ground */
  PetscFunctionReturn(0);
}

/* Memory of a 1D run per unknown, measured with `ionstack check` (the
 * solvers set up, the Jacobian factored once): 1e6 cells of two unknowns
 * took 414 MiB above the 44 MiB of an empty run, about 210 bytes per
 * unknown for the state vectors, the Jacobian and its LU factors, the
 * geometry and the face lists. The estimate keeps a margin. */
#define BYTES_PER_UNKNOWN 300.0
#define DEFAULT_MEMORY_LIMIT 4294967296.0 /* 4 GiB, mesh.memory_limit's default */

/* Refuses a mesh too large for the index type or for mesh.memory_limit
 * before anything is allocated. */
static PetscErrorCode CheckMeshSize(MPI_Comm comm, const Params *p, PetscInt64 cells, PetscInt64 unknowns)
{
  const PetscReal limit = p->memory_limit > 0 ? p->memory_limit : DEFAULT_MEMORY_LIMIT, need = BYTES_PER_UNKNOWN * (PetscReal)unknowns;

  PetscFunctionBeginUser;
  PetscCheck(cells >= 1 && unknowns < PETSC_MAX_INT, comm, PETSC_ERR_USER_INPUT,
             "the mesh has %" PetscInt64_FMT " cells with %" PetscInt64_FMT " unknowns; at most %" PetscInt64_FMT
             " unknowns fit this build's %d-bit indices",
             cells, unknowns, (PetscInt64)PETSC_MAX_INT - 1, (int)(8 * sizeof(PetscInt)));
  PetscCheck(need <= limit, comm, PETSC_ERR_USER_INPUT,
             "the mesh of %" PetscInt64_FMT " cells (%" PetscInt64_FMT
             " unknowns) needs about %.3g GiB, more than mesh.memory_limit = %.3g GiB; use fewer cells or raise "
             "mesh.memory_limit",
             cells, unknowns, (double)(need / 1073741824.0), (double)(limit / 1073741824.0));
  PetscFunctionReturn(0);
}

static PetscErrorCode ModelAlloc(MPI_Comm comm, Params *p, PetscInt nx, PetscInt ny, Model **model)
{
  Model *m;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&m));
  m->comm = comm, m->p = p, m->dim = ny > 1 ? 2 : 1, m->nx = nx, m->ny = ny;
  PetscCall(PetscMalloc6(nx + 1, &m->x_faces, nx, &m->x_centres, nx, &m->hx, ny + 1, &m->y_faces, ny, &m->y_centres, ny, &m->hy));
  PetscCall(PetscMalloc2(nx * ny, &m->phase, nx * ny, &m->region));
  m->hy[0] = 1; /* per unit area in 1D */
  *model   = m;
  PetscFunctionReturn(0);
}

static void ModelFinishGeometry(Model *m)
{
  m->x_faces[0] = 0, m->y_faces[0] = 0;
  for (PetscInt i = 0; i < m->nx; i++) {
    m->x_faces[i + 1] = m->x_faces[i] + m->hx[i];
    m->x_centres[i]   = m->x_faces[i] + 0.5 * m->hx[i];
  }
  for (PetscInt j = 0; j < m->ny; j++) {
    m->y_faces[j + 1] = m->y_faces[j] + m->hy[j];
    m->y_centres[j]   = m->y_faces[j] + 0.5 * m->hy[j];
  }
  m->lateral = m->y_faces[m->ny];
}

static PetscErrorCode ModelFinish(Model **model)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ModelFinishGeometry(*model);
  ierr = ModelSetUp(*model);
  if (ierr) { /* free what was built; the error keeps its message */
    (void)ModelDestroy(model);
    PetscCall(ierr);
  }
  PetscFunctionReturn(0);
}

/* A 2D stack from its phase map (a file or a generator): the regions from
 * the map's rules (phasemap.c), the cathode's phase checked against the
 * config, and with a file each layer's thickness its mean over the width,
 * for the stack model. */
static PetscErrorCode ModelCreate2d(MPI_Comm comm, Params *p, Model **model)
{
  PhaseMap       map = {0};
  PetscInt      *region;
  PhaseType      cathode;
  char           origin[PETSC_MAX_PATH_LEN + 64];
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  if (p->mesh2d.kind == GENERATOR_NONE) {
    PetscCall(PetscStrncpy(origin, p->phase_map, sizeof origin));
    PetscCall(PhaseMapRead(p->phase_map, p->phase_labels, p->mesh2d.lateral_size, &map));
  } else {
    PetscCall(PetscSNPrintf(origin, sizeof origin, "mesh.generator = %s", GeneratorKinds[p->mesh2d.kind]));
    PetscCall(PhaseMapGenerate(&p->mesh2d, &map));
  }
  PetscCall(PetscMalloc1(map.nx * map.ny, &region));
  ierr = PhaseMapRegions(&map, p->mesh2d.periodic, origin, region, &cathode);
  if (!ierr && cathode != PHASE_VOID && cathode != p->region[REGION_CATHODE].phase)
    ierr = PetscError(comm, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL,
                      "%s: the map's cathode cells are %s but cathode.model is %s; set cathode.model to match the map", origin, PhaseNames[cathode],
                      CathodeModels[p->cathode_model]);
  if (!ierr && p->mesh2d.kind == GENERATOR_NONE)
    for (PetscInt r = 0; r < 3; r++) {
      PetscReal area = 0;
      for (PetscInt g = 0; g < map.nx * map.ny; g++)
        if (region[g] == r) area += map.hx[g % map.nx] * map.hy;
      p->region[r].layer.thickness = area / (map.hy * map.ny);
    }
  PetscCall(PetscStrncpy(p->region[REGION_VOID].name, "void", sizeof p->region[REGION_VOID].name));
  p->region[REGION_VOID].phase = PHASE_VOID;
  if (!ierr) ierr = ModelCreateFromCells(comm, p, map.nx, map.ny, map.hx, map.hy, map.phase, region, p->mesh2d.periodic, model);
  PetscCall(PetscFree(region));
  PetscCall(PhaseMapDestroy(&map));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCreate(MPI_Comm comm, Params *p, Model **model)
{
  PetscInt64 nx = 0, unknowns = 0;
  PetscInt   i = 0;
  Model     *m;

  PetscFunctionBeginUser;
  *model = NULL;
  if (p->dim == 2) {
    PetscCall(ModelCreate2d(comm, p, model));
    PetscFunctionReturn(0);
  }
  for (PetscInt r = 0; r < p->nregions; r++) {
    CellLayout l;
    RegionCellLayout(&p->region[r], &l);
    nx += p->region[r].layer.cells;
    unknowns += (PetscInt64)p->region[r].layer.cells * l.ndof;
  }
  PetscCall(CheckMeshSize(comm, p, nx, unknowns));
  PetscCall(ModelAlloc(comm, p, (PetscInt)nx, 1, &m));
  /* the layers refine toward their faces with other layers, where the
   * interface layers are; the ends of the stack meet no-flux current
   * collectors and stay coarse */
  for (PetscInt r = 0; r < p->nregions; r++) {
    LayerWidthsToward(&p->region[r].layer, (PetscBool)(r > 0), (PetscBool)(r + 1 < p->nregions), m->hx + i);
    for (PetscInt k = 0; k < p->region[r].layer.cells; k++, i++)
      m->phase[i] = p->region[r].phase, m->region[i] = r;
  }
  PetscCall(ModelFinish(&m));
  *model = m;
  PetscFunctionReturn(0);
}

/* The region of a single-phase test mesh. */
static PetscInt UniformRegion(PhaseType phase)
{
  return phase == PHASE_ELECTROLYTE ? REGION_SEPARATOR : (phase == PHASE_LITHIUM || phase == PHASE_COLLECTOR ? REGION_ANODE : REGION_CATHODE);
}

PetscErrorCode ModelCreateUniform(MPI_Comm comm, Params *p, PhaseType phase, PetscInt n, PetscReal length, Model **model)
{
  const PetscInt r = UniformRegion(phase);
  Model         *m;

  PetscFunctionBeginUser;
  *model = NULL;
  PetscCall(CheckMeshSize(comm, p, n, 4 * (PetscInt64)n));
  p->region[r].phase = phase;
  p->nregions        = PetscMax(p->nregions, r + 1);
  PetscCall(ModelAlloc(comm, p, n, 1, &m));
  for (PetscInt i = 0; i < n; i++)
    m->hx[i] = length / n, m->phase[i] = phase, m->region[i] = r;
  PetscCall(ModelFinish(&m));
  *model = m;
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCreateUniform2d(MPI_Comm comm, Params *p, PhaseType phase, PetscInt nx, PetscInt ny, PetscReal length, PetscReal width,
                                    PetscBool periodic, Model **model)
{
  const PetscInt r = UniformRegion(phase);
  PetscInt      *cells;
  PetscReal     *hx;

  PetscFunctionBeginUser;
  p->region[r].phase = phase;
  p->nregions        = PetscMax(p->nregions, r + 1);
  PetscCall(PetscMalloc2(nx * ny, &cells, nx, &hx));
  for (PetscInt i = 0; i < nx; i++)
    hx[i] = length / nx;
  for (PetscInt g = 0; g < nx * ny; g++)
    cells[g] = phase;
  PetscCall(ModelCreateFromCells(comm, p, nx, ny, hx, width / ny, cells, NULL, periodic, model));
  PetscCall(PetscFree2(cells, hx));
  PetscFunctionReturn(0);
}

/* region NULL: each cell in the region of its phase (UniformRegion). */
PetscErrorCode ModelCreateFromCells(MPI_Comm comm, Params *p, PetscInt nx, PetscInt ny, const PetscReal *hx, PetscReal hy, const PetscInt *phase,
                                    const PetscInt *region, PetscBool periodic, Model **model)
{
  PetscInt64 unknowns = 0;
  Model     *m;

  PetscFunctionBeginUser;
  *model = NULL;
  for (PetscInt g = 0; g < nx * ny; g++) {
    CellLayout l;
    RegionCellLayout(&p->region[region ? region[g] : UniformRegion((PhaseType)phase[g])], &l);
    unknowns += l.ndof;
  }
  PetscCall(CheckMeshSize(comm, p, (PetscInt64)nx * ny, unknowns));
  PetscCall(ModelAlloc(comm, p, nx, ny, &m));
  m->periodic = periodic;
  for (PetscInt i = 0; i < nx; i++)
    m->hx[i] = hx[i];
  for (PetscInt j = 0; j < ny; j++)
    m->hy[j] = ny > 1 ? hy : 1.0;
  for (PetscInt g = 0; g < nx * ny; g++) {
    m->phase[g]  = phase[g];
    m->region[g] = region ? region[g] : UniformRegion((PhaseType)phase[g]);
  }
  PetscCall(ModelFinish(&m));
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
  PetscCall(VecDestroy(&m->Ulocal));
  PetscCall(VecScatterDestroy(&m->to_local));
  PetscCall(ISLocalToGlobalMappingDestroy(&m->l2g));
  PetscCall(PetscFree(m->jac_values));
  PetscCall(DMDestroy(&m->da));
  PetscCall(PetscFree6(m->x_faces, m->x_centres, m->hx, m->y_faces, m->y_centres, m->hy));
  PetscCall(PetscFree(m->interface_geometry));
  PetscCall(PetscFree2(m->phase, m->region));
  PetscCall(PetscFree(m->cell_offset));
  for (PetscInt r = 0; r < MAX_REGIONS; r++) {
    PetscCall(PetscFree(m->xi[r]));
    PetscCall(PetscFree2(m->pattern_rows[r], m->pattern_cols[r]));
  }
  PetscCall(PetscFree6(m->local_phase, m->local_region, m->local_cell, m->local_volume, m->local_x, m->local_y));
  PetscCall(PetscFree3(m->local_offset, m->owned_offset, m->props));
  PetscCall(PetscFree3(m->local_global, m->storage, m->potential));
  PetscCall(PetscFree(m->faces));
  PetscCall(PetscFree4(m->flux, m->flux_ok, m->flux_u, m->reaction));
  PetscCall(PetscFree(*model));
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCreateVector(Model *m, Vec *U)
{
  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(m->row_scale, U));
  PetscFunctionReturn(0);
}

PetscErrorCode ModelCreateMatrix(Model *m, Mat *J)
{
  PetscFunctionBeginUser;
  PetscCall(MatCreate(m->comm, J));
  PetscCall(MatSetSizes(*J, m->nowned, m->nowned, PETSC_DETERMINE, PETSC_DETERMINE));
  PetscCall(MatSetType(*J, MATAIJ));
  PetscCall(MatSetLocalToGlobalMapping(*J, m->l2g, m->l2g));
  PetscFunctionReturn(0);
}

PetscErrorCode ModelInitialState(Model *m, Vec U)
{
  PetscScalar *u;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(U, &u));
  for (PetscInt k = 0; k < m->nlocal; k++)
    if (m->owned_offset[k] >= 0) RegionInitialState(&m->p->region[m->local_region[k]], &m->layout[m->local_region[k]], u + m->owned_offset[k]);
  PetscCall(VecRestoreArray(U, &u));
  PetscFunctionReturn(0);
}

void ModelCompositeCell(const Model *m, PetscInt k, CompositeCell *cc)
{
  const Region    *r = &m->p->region[m->local_region[k]];
  const CellProps *c = &m->props[k];

  *cc = (CompositeCell){
      r, m->p->temperature, m->local_volume[k], c->area, c->active_fraction, c->radius, r->composite.contact_fraction, m->xi[m->local_region[k]]};
}

void ModelUnknownKinds(const Model *m, PetscInt kind[])
{
  for (PetscInt k = 0; k < m->nlocal; k++) {
    const CellLayout *l         = &m->layout[m->local_region[k]];
    const PetscBool   composite = (PetscBool)(m->local_phase[k] == PHASE_COMPOSITE);
    if (m->owned_offset[k] < 0) continue;
    for (int v = 0; v < VAR_COUNT; v++)
      for (PetscInt j = 0; j < l->count[v]; j++)
        kind[m->owned_offset[k] + l->offset[v] + j] = VarIsPotential((VarKind)v) ? 0 : (composite && v != VAR_C_E ? 2 : 1);
  }
}

PetscErrorCode ModelUpdateNorms(Model *m, Vec dx, PetscReal *dphi, PetscReal *dc)
{
  const PetscScalar *x;
  PetscReal          n[2] = {0, 0};

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(dx, &x));
  for (PetscInt r = 0; r < m->nowned; r++)
    n[m->potential[r] ? 0 : 1] = PetscMax(n[m->potential[r] ? 0 : 1], PetscAbsScalar(x[r]));
  PetscCall(VecRestoreArrayRead(dx, &x));
  PetscCall(MPIU_Allreduce(MPI_IN_PLACE, n, 2, MPIU_REAL, MPIU_MAX, m->comm));
  *dphi = n[0], *dc = n[1];
  PetscFunctionReturn(0);
}

PetscInt ModelUnknown(const Model *m, PetscInt cell, VarKind v, PetscInt j)
{
  const PetscInt i = cell % m->nx, jy = cell / m->nx;
  PetscInt       k;

  if (i < m->xs || i >= m->xs + m->xm || jy < m->ys || jy >= m->ys + m->ym) return -1;
  k = (jy - m->gys) * m->gxm + (i - m->gxs);
  if (j < 0 || j >= m->layout[m->local_region[k]].count[v]) return -1;
  return m->owned_offset[k] + m->layout[m->local_region[k]].offset[v] + j;
}
