/* The phase table (SPEC 2.1): the one place that says what a cell of each
 * phase solves for, which of its unknowns have a time derivative, how it
 * carries charge, which fields it reports and how it starts. The mesh
 * builds the unknown layout from it, the assembly its cell terms, the
 * solver its tolerances and the output its fields. No grid, no Vec. */
#include "model.h"

/* has: c_e, phi_e, phi_s, c_s (shells), c_surf; then: ions, electrons */
static const PhaseInfo PhaseTable[PHASE_COUNT] = {
    [PHASE_VOID]        = {{PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE}, PETSC_FALSE, PETSC_FALSE},
    [PHASE_LITHIUM]     = {{PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE}, PETSC_FALSE, PETSC_TRUE},
    [PHASE_ELECTROLYTE] = {{PETSC_TRUE, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE}, PETSC_TRUE, PETSC_FALSE},
    [PHASE_ACTIVE]      = {{PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, PETSC_TRUE, PETSC_FALSE}, PETSC_FALSE, PETSC_TRUE},
    [PHASE_COMPOSITE]   = {{PETSC_TRUE, PETSC_TRUE, PETSC_TRUE, PETSC_TRUE, PETSC_TRUE}, PETSC_TRUE, PETSC_TRUE},
    [PHASE_COLLECTOR]   = {{PETSC_FALSE, PETSC_FALSE, PETSC_TRUE, PETSC_FALSE, PETSC_FALSE}, PETSC_FALSE, PETSC_TRUE},
};

const PhaseInfo *PhaseGet(PhaseType phase)
{
  return &PhaseTable[phase];
}

/* A single-ion conductor keeps its Li+ concentration at c0: no unknown. A
 * composite carries one c_s per shell, a dense active layer one per cell. */
void RegionCellLayout(const Region *r, CellLayout *l)
{
  const PhaseInfo *info = PhaseGet(r->phase);

  l->ndof = 0;
  for (int v = 0; v < VAR_COUNT; v++) {
    PetscInt n = info->has[v] ? 1 : 0;
    if (v == VAR_C_E && r->electrolyte.kind != ELECTROLYTE_BINARY) n = 0;
    if (v == VAR_C_S && r->phase == PHASE_COMPOSITE) n = r->composite.shells;
    l->count[v]  = n;
    l->offset[v] = n ? l->ndof : -1;
    l->ndof += n;
  }
}

PetscBool VarIsPotential(VarKind v)
{
  return (PetscBool)(v == VAR_PHI_E || v == VAR_PHI_S);
}

/* The value of a field the region does not solve for, as the kernels and
 * the output see it: a single-ion conductor's c0, else zero. */
PetscReal RegionFixedValue(const Region *r, VarKind v)
{
  return v == VAR_C_E && PhaseGet(r->phase)->has[VAR_C_E] ? r->electrolyte.concentration : 0.0;
}

/* Rest state: uniform concentrations; the anode at ground, the electrolyte
 * in equilibrium with it (phi_e = 0 against a lithium reference) and every
 * cathode solid at its open-circuit potential. */
void RegionInitialState(const Region *r, const CellLayout *l, PetscScalar *u)
{
  for (int v = 0; v < VAR_COUNT; v++)
    for (PetscInt j = 0; j < l->count[v]; j++)
      u[l->offset[v] + j] = RegionFixedValue(r, (VarKind)v);
  if (l->count[VAR_C_E]) u[l->offset[VAR_C_E]] = r->electrolyte.concentration;
  if (l->count[VAR_C_S]) {
    PetscReal U, dU;
    ActiveOcp(&r->active, r->active.theta_initial, &U, &dU);
    for (PetscInt j = 0; j < l->count[VAR_C_S]; j++)
      u[l->offset[VAR_C_S] + j] = r->active.theta_initial * r->active.max_concentration;
    if (l->count[VAR_C_SURF]) u[l->offset[VAR_C_SURF]] = r->active.theta_initial * r->active.max_concentration;
    u[l->offset[VAR_PHI_S]] = U;
  }
}

/* Effective transport through a volume fraction eps: eps^b (Bruggeman),
 * or eps / tortuosity when a tortuosity is given. */
static PetscReal EffectiveTransport(const Composite *c, PetscReal eps)
{
  return c->tortuosity > 0 ? eps / c->tortuosity : PetscPowReal(eps, c->bruggeman);
}

static PetscReal ProfileAt(const Profile *q, PetscReal s)
{
  return q->separator_side + s * (q->collector_side - q->separator_side);
}

/* The cell properties of a region at the fractional position s across it,
 * 0 at its separator side and 1 at its collector side. The solid network
 * of a composite conducts through active material and carbon together:
 * sigma_eff = sigma_s (eps_am + eps_cb)^b, sigma_s the volume-weighted mean
 * of the two solids' conductivities. */
void RegionCellProps(const Region *r, PetscReal s, CellProps *c)
{
  PetscMemzero(c, sizeof *c);
  c->ion_transport        = 1.0;
  c->electrolyte_fraction = r->phase == PHASE_ELECTROLYTE ? 1.0 : 0.0;
  c->active_fraction      = r->phase == PHASE_ACTIVE ? 1.0 : 0.0;
  c->sigma_s              = r->phase == PHASE_ACTIVE ? r->active.conductivity : r->conductivity;
  if (r->phase == PHASE_COMPOSITE) {
    const Composite *q  = &r->composite;
    const PetscReal  am = ProfileAt(&q->active_fraction, s), el = ProfileAt(&q->electrolyte_fraction, s), cb = ProfileAt(&q->carbon_fraction, s);
    const PetscReal  sigma  = am + cb > 0 ? (am * r->active.conductivity + cb * q->carbon_conductivity) / (am + cb) : 0.0;
    c->active_fraction      = am;
    c->electrolyte_fraction = el;
    c->carbon_fraction      = cb;
    c->radius               = ProfileAt(&q->particle_radius, s);
    c->ion_transport        = EffectiveTransport(q, el);
    c->sigma_s              = sigma * EffectiveTransport(q, am + cb);
    c->area                 = 3.0 * am * q->contact_fraction / c->radius;
  }
}
