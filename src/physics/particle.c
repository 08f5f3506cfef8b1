/* The cell terms of a homogenized composite cathode (SPEC 2.3), per unit
 * cell volume V:
 *   reaction     S = V a i_n, i_n from Butler-Volmer between the particle
 *                surface and the pore electrolyte of the same cell: it
 *                leaves the solid (phi_s row), enters the electrolyte
 *                (phi_e row, and the salt row of a binary electrolyte) and
 *                leaves the particle's outer shell;
 *   particles    eps_am dc_s/dt = eps_am r^-2 d/dr (r^2 D_s dc_s/dr) on
 *                radial finite volumes, with -D_s dc_s/dr = contact i_n/F
 *                at r_p (a = 3 eps_am contact / r_p).
 * Rows are in A (x F for lithium balances), like the face fluxes. The
 * surface concentration c_surf is an algebraic unknown of the cell, tied to
 * the outer shell through its half width delta:
 *   V a [i_n - G_s (c_N - c_surf)] = 0,  G_s = F D_s / (contact delta),
 * so Butler-Volmer sees only unknowns of the cell and is solved without an
 * inner iteration (with a film resistance, a scalar one without
 * reconstruction). The storage terms
 * (eps dc/dt) are the assembly's; this file knows neither the grid nor the
 * neighbours of the cell. */
#include "model.h"

/* Shell faces xi_0 = 0 < ... < xi_n = 1 (xi = r/r_p): uniform, or widths
 * shrinking geometrically toward the surface so that the innermost is
 * `grading` times the outermost. */
void ShellFaces(PetscInt n, PetscReal grading, PetscReal xi[])
{
  const PetscReal q = n > 1 && grading > 1 ? PetscPowReal(1.0 / grading, 1.0 / (n - 1)) : 1.0;
  PetscReal       w = 1.0, sum = 0.0;

  xi[0] = 0.0;
  for (PetscInt j = 0; j < n; j++, w *= q)
    xi[j + 1] = xi[j] + w, sum += w;
  for (PetscInt j = 1; j <= n; j++)
    xi[j] /= sum;
  xi[n] = 1.0;
}

/* Volume share of shell j in the particle, and the centre of a shell: the
 * midpoint radius, which keeps the scheme second order in the radius. */
PetscReal ShellVolumeShare(const PetscReal xi[], PetscInt j)
{
  return xi[j + 1] * xi[j + 1] * xi[j + 1] - xi[j] * xi[j] * xi[j];
}

static inline PetscReal ShellCentre(const PetscReal xi[], PetscInt j)
{
  return 0.5 * (xi[j] + xi[j + 1]);
}

/* Conductance between shells j and j+1, per unit cell volume and times F:
 * F eps_am (3/r_p^3) r_{j+1}^2 D / (r_c,j+1 - r_c,j). */
static PetscReal ShellConductance(const CompositeCell *cc, PetscInt j)
{
  const PetscReal *xi = cc->xi, x = xi[j + 1];
  return FARADAY * cc->volume * cc->active_fraction * 3.0 * x * x * cc->region->active.diffusivity /
         (cc->radius * cc->radius * (ShellCentre(xi, j + 1) - ShellCentre(xi, j)));
}

/* Conductance, per reacting area and times F, between the outer shell's
 * centre and the particle surface. */
static PetscReal SurfaceConductance(const CompositeCell *cc, PetscInt n)
{
  return FARADAY * cc->region->active.diffusivity / (cc->contact_fraction * cc->radius * (1.0 - ShellCentre(cc->xi, n - 1)));
}

/* The unknowns of the cell block the reaction enters (rows: outer shell,
 * phi_s, c_e, phi_e, c_surf) and depends on (cols: c_surf, phi_s, c_e,
 * phi_e); -1 where the cell has none (c_e of a single-ion electrolyte). */
static void ReactionIndices(const CellLayout *l, PetscInt rows[5], PetscInt cols[4])
{
  const PetscInt ce = l->count[VAR_C_E] ? l->offset[VAR_C_E] : -1;
  rows[0] = l->offset[VAR_C_S] + l->count[VAR_C_S] - 1, rows[1] = l->offset[VAR_PHI_S], rows[2] = ce, rows[3] = l->offset[VAR_PHI_E];
  rows[4] = l->offset[VAR_C_SURF];
  cols[0] = l->offset[VAR_C_SURF], cols[1] = l->offset[VAR_PHI_S], cols[2] = ce, cols[3] = l->offset[VAR_PHI_E];
}

/* The pattern, in offsets of the cell block: the reaction couples its four
 * inputs in the five rows it enters; the surface row also holds the outer
 * shell; each shell face couples its two shells. */
PetscInt CompositeCellPattern(const CellLayout *l, PetscInt rows[], PetscInt cols[])
{
  const PetscInt n = l->count[VAR_C_S];
  PetscInt       r[5], c[4], k = 0;

  ReactionIndices(l, r, c);
  for (int a = 0; a < 5; a++)
    for (int b = 0; b < 4; b++) {
      if (r[a] < 0 || c[b] < 0) continue;
      if (rows) rows[k] = r[a], cols[k] = c[b];
      k++;
    }
  if (rows) rows[k] = r[4], cols[k] = r[0];
  k++;
  for (PetscInt j = 0; j + 1 < n; j++)
    for (int a = 0; a < 2; a++)
      for (int b = 0; b < 2; b++, k++)
        if (rows) rows[k] = l->offset[VAR_C_S] + j + a, cols[k] = l->offset[VAR_C_S] + j + b;
  return k;
}

void CompositeReaction(const CompositeCell *cc, const CellLayout *l, const PetscScalar *u, InterfaceFlux *k)
{
  const Region        *r     = cc->region;
  const InterfaceSetup s     = {&r->kinetics, &r->electrolyte, &r->active, cc->T, PETSC_INFINITY, 0.0, 0.0};
  const PetscReal      ue[2] = {u[l->offset[VAR_C_SURF]], u[l->offset[VAR_PHI_S]]};
  const PetscReal      uc[2] = {l->count[VAR_C_E] ? u[l->offset[VAR_C_E]] : r->electrolyte.concentration, u[l->offset[VAR_PHI_E]]};

  InterfaceEvaluate(&s, ue, uc, k);
}

void CompositeCellEvaluate(const CompositeCell *cc, const CellLayout *l, const PetscScalar *u, const InterfaceFlux *k, PetscScalar *f, PetscScalar *J)
{
  const PetscInt  n = l->count[VAR_C_S], c0 = l->offset[VAR_C_S];
  const PetscReal sign[5] = {1.0, 1.0, -1.0, -1.0, 1.0}; /* S leaves the particle and the solid, enters the electrolyte */
  const PetscReal Va = cc->volume * cc->area, Gs = SurfaceConductance(cc, n);
  PetscInt        r[5], c[4], e = 0;

  ReactionIndices(l, r, c);
  for (int a = 0; a < 5; a++) {
    if (r[a] < 0) continue;
    if (f) f[r[a]] += sign[a] * Va * k->i;
    for (int b = 0; b < 4; b++) {
      if (c[b] < 0) continue;
      if (J) J[e] = sign[a] * Va * k->di[b] + (a == 4 && b == 0 ? Va * Gs : 0.0);
      e++;
    }
  }
  if (f) f[r[4]] -= Va * Gs * (u[r[0]] - u[r[4]]);
  if (J) J[e] = -Va * Gs;
  e++;
  for (PetscInt j = 0; j + 1 < n; j++) {
    const PetscReal G = ShellConductance(cc, j);
    if (f) {
      const PetscReal F = G * (u[c0 + j] - u[c0 + j + 1]);
      f[c0 + j] += F, f[c0 + j + 1] -= F;
    }
    if (J) J[e] = G, J[e + 1] = -G, J[e + 2] = -G, J[e + 3] = G;
    e += 4;
  }
}

/* Row scale of the surface row: its conductance V a G_s. */
PetscReal CompositeSurfaceScale(const CompositeCell *cc, PetscInt n)
{
  return 1.0 / (cc->volume * cc->area * SurfaceConductance(cc, n));
}

/* The conductance scale of shell j's row, for the row scaling (V/A -> mol/m^3). */
PetscReal CompositeShellScale(const CompositeCell *cc, PetscInt n, PetscInt j)
{
  PetscReal G = 0.0;
  if (j > 0) G += ShellConductance(cc, j - 1);
  if (j + 1 < n) G += ShellConductance(cc, j);
  return G > 0 ? 1.0 / G : 1.0;
}
