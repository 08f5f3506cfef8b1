/* The cycling protocol: turns a protocol step (discharge, charge, rest, hold)
 * into boundary conditions at the cathode end, and defines the event
 * indicators that end a step exactly at its cutoff: the terminal voltage, the
 * current of a voltage hold, and the depletion of the electrolyte at an
 * interface. Every indicator falls through zero when its event happens.
 * Sign convention: a positive current density is a discharge (current flows
 * from the anode to the cathode inside the cell). */
#include "protocol.h"

/* PETSc's PETSC_INFINITY is a large finite number, so "unset" is a comparison. */
static PetscBool IsSet(PetscReal limit)
{
  return (PetscBool)(limit < PETSC_INFINITY);
}

const char *const EventNames[] = {"cutoff voltage", "current limit", "depletion", "cathode surface stoichiometry limit"};

/* The OCP fits hold inside (0, 1); the kinetics vanish at the ends. */
#define THETA_MARGIN 1e-3

PetscErrorCode ProtocolResolve(const Params *p, PetscInt index, PetscReal t_start, ActiveStep *s)
{
  const ProtocolStep *st    = &p->steps[index];
  const PetscReal     one_c = CathodeCapacity(p) / SECONDS_PER_H; /* A/m^2 */

  PetscFunctionBeginUser;
  const PetscBool rate = (PetscBool)(st->c_rate > 0 && IsSet(st->c_rate)), until_rate = (PetscBool)(st->until_c_rate > 0 && IsSet(st->until_c_rate));

  PetscCheck(!(rate || until_rate) || one_c > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "protocol step %" PetscInt_FMT
             " '%s': a C-rate needs a cathode with a capacity; a symmetric Li | SE | Li cell takes a current density such as 1 mA/cm^2",
             index + 1, st->text);
  s->index          = index;
  s->step           = st;
  s->potentiostatic = (PetscBool)(st->kind == STEP_HOLD);
  s->voltage        = st->voltage;
  s->current        = rate ? st->c_rate * one_c : st->current;
  if (st->kind == STEP_CHARGE) s->current = -s->current;
  if (st->kind == STEP_REST || st->kind == STEP_HOLD) s->current = 0.0;
  s->until_voltage = st->until_voltage;
  s->until_current = until_rate ? st->until_c_rate * one_c : st->until_current;
  s->t_start       = t_start;
  s->t_end         = !IsSet(st->duration) ? PETSC_MAX_REAL : t_start + st->duration;
  PetscFunctionReturn(0);
}

PetscErrorCode ProtocolApply(Model *m, const ActiveStep *s)
{
  PetscFunctionBeginUser;
  m->bc[SIDE_XMAX][VIEW_SOLID][FIELD_PHI] = s->potentiostatic ? (Boundary){BC_VALUE, s->voltage} : (Boundary){BC_FLUX, s->current};
  PetscFunctionReturn(0);
}

void ProtocolIndicators(const Params *p, const ActiveStep *s, const Observation *o, PetscReal ind[EVENT_COUNT])
{
  ind[EVENT_VOLTAGE] = 1.0;
  ind[EVENT_CURRENT] = 1.0;
  if (IsSet(s->until_voltage) && !s->potentiostatic)
    ind[EVENT_VOLTAGE] = s->current >= 0 ? o->voltage - s->until_voltage : s->until_voltage - o->voltage;
  if (IsSet(s->until_current) && s->potentiostatic) ind[EVENT_CURRENT] = (PetscAbsReal(o->current) - s->until_current) / s->until_current;
  /* the surface fills on discharge and empties on charge; a hold may do either, a rest neither */
  ind[EVENT_SATURATION] = 1.0;
  if (p->cathode_model != CATHODE_LITHIUM && (s->potentiostatic || s->current != 0)) {
    const PetscReal room_full = 1.0 - THETA_MARGIN - o->max_theta, room_empty = o->min_theta - THETA_MARGIN;
    ind[EVENT_SATURATION] = s->potentiostatic ? PetscMin(room_full, room_empty) : (s->current > 0 ? room_full : room_empty);
  }
  ind[EVENT_DEPLETION] = ParamsMembrane(p)->electrolyte.kind == ELECTROLYTE_BINARY
                             ? o->min_interface_concentration / ParamsMembrane(p)->electrolyte.concentration - p->depletion_fraction
                             : 1.0;
}

PetscReal ProtocolDurationBound(const Params *p, PetscInt k)
{
  const ProtocolStep *st      = &p->steps[k];
  const PetscReal     one_c   = CathodeCapacity(p) / SECONDS_PER_H;
  const PetscReal     current = st->c_rate > 0 && IsSet(st->c_rate) ? st->c_rate * one_c : st->current;

  if (IsSet(st->duration)) return st->duration;
  if (st->kind != STEP_HOLD && current > 0 && one_c > 0) return 2 * CathodeCapacity(p) / current; /* the window, and as much again */
  return PETSC_INFINITY;
}
