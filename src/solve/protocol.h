/* Protocol steps as boundary conditions and event indicators (protocol.c). */
#pragma once
#include "model.h"

typedef enum { EVENT_VOLTAGE, EVENT_CURRENT, EVENT_DEPLETION, EVENT_SATURATION, EVENT_COUNT } EventKind;
extern const char *const EventNames[];

/* A protocol step resolved against the cell: currents in A/m^2, signed
 * (positive = discharge), and its time window. */
typedef struct {
  PetscInt            index;
  const ProtocolStep *step;
  PetscBool           potentiostatic;
  PetscReal           current, voltage;
  PetscReal           until_voltage, until_current;
  PetscReal           t_start, t_end;
} ActiveStep;

PetscErrorCode ProtocolResolve(const Params *p, PetscInt index, PetscReal t_start, ActiveStep *s);
PetscErrorCode ProtocolApply(Model *m, const ActiveStep *s);
void           ProtocolIndicators(const Params *p, const ActiveStep *s, const Observation *o, PetscReal ind[EVENT_COUNT]);
/* An upper bound of how long protocol step k can last, s: its duration, or
 * for a current that only a limit ends, twice the time it takes to pass the
 * cathode's capacity; PETSC_INFINITY when nothing bounds it (a hold). */
PetscReal ProtocolDurationBound(const Params *p, PetscInt k);
