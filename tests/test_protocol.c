/* Protocol steps and their events on a thin-film NMC811 cell:
 * 1. a cutoff crossed inside the first time step of a later protocol step
 *    is located exactly (the events are evaluated afresh at every step
 *    start, not only at the first);
 * 2. a step that starts on a limit it moves away from (a rest or a charge
 *    after a discharge that ended on the surface stoichiometry limit) runs
 *    its course, and the same protocol gives the same answer every time;
 * 3. a step that starts beyond its cutoff (the voltage jumps past it as
 *    the current is applied) ends where it starts and says so. */
#include "fixtures.h"
#include "solve/protocol.h"
#include "testing.h"

static void Cell(Params *p)
{
  FixtureBase(p);
  FixtureSingleIon(p, 0.3);
  FixtureThinFilm(p, 3e-6, 10);
}

static PetscErrorCode Run(Params *p, RunSummary *s, double *V_end)
{
  Simulation  sim;
  Model      *m;
  Vec         U;
  Observation o;

  PetscFunctionBeginUser;
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, &sim));
  PetscCall(SimulationRun(sim, s));
  PetscCall(SimulationGetModel(sim, &m, &U, NULL));
  PetscCall(ModelObserve(m, s->end_time, U, &o));
  *V_end = o.voltage;
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  Params     p;
  RunSummary s;
  double     V, one_c;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  Cell(&p);
  one_c = CathodeCapacity(&p) / SECONDS_PER_H; /* A/m^2 */
  {                                            /* 1. the reference voltage 5 s into the second step, then a cutoff there with 20 s steps */
    const double T1 = 600, dt = 20;
    double       V_ref;
    Cell(&p);
    p.steps[0] = FixtureStep(STEP_DISCHARGE, one_c, T1 + 5, PETSC_INFINITY);
    PetscCall(Run(&p, &s, &V_ref));
    Cell(&p);
    p.dt_initial = dt;
    p.nsteps     = 2;
    p.steps[0]   = FixtureStep(STEP_DISCHARGE, one_c, T1, PETSC_INFINITY);
    p.steps[1]   = FixtureStep(STEP_DISCHARGE, one_c, PETSC_INFINITY, V_ref);
    PetscCall(Run(&p, &s, &V));
    check(s.steps_completed == 2 && s.step_end_event[1] == EVENT_VOLTAGE, "cutoff_in_first_time_step_of_a_later_step_fires",
          "ended by event %g (want %g)", s.step_end_event[1], EVENT_VOLTAGE);
    check_abs("cutoff_in_first_time_step_of_a_later_step_voltage", V, V_ref, 2e-6);
    check_abs("cutoff_in_first_time_step_of_a_later_step_time", s.step_end_time[1], T1 + 5, 0.05 * 5);
  }
  { /* 2. discharge to the limit, rest, charge, discharge: the same every time */
    double end[3] = {0, 0, 0}, first[3] = {0, 0, 0};
    int    same = 1, ends = 1;
    for (int rep = 0; rep < 10; rep++) {
      Cell(&p);
      p.nsteps   = 4;
      p.steps[0] = FixtureStep(STEP_DISCHARGE, one_c, PETSC_INFINITY, 3.0);
      p.steps[1] = FixtureStep(STEP_REST, 0, 600, PETSC_INFINITY);
      p.steps[2] = FixtureStep(STEP_CHARGE, one_c / 3, PETSC_INFINITY, 4.2);
      p.steps[3] = FixtureStep(STEP_DISCHARGE, one_c, PETSC_INFINITY, 3.0);
      PetscCall(Run(&p, &s, &V));
      ends = ends && s.steps_completed == 4 && s.step_end_event[0] >= 0 && s.step_end_event[1] == -1 && s.step_end_event[2] == EVENT_VOLTAGE &&
             s.step_end_event[3] >= 0;
      for (int k = 0; k < 3; k++)
        end[k] = s.step_end_time[k + 1];
      if (rep == 0)
        PetscCall(PetscArraycpy(first, end, 3));
      else
        same = same && !memcmp(first, end, sizeof end);
    }
    check(ends, "steps_starting_on_a_limit_they_leave_run_their_course", "charge ended at %g s, second discharge at %g s", first[1], first[2]);
    check(same, "same_protocol_same_answer_ten_times", "first run ends at %.17g s, last at %.17g s", first[2], end[2]);
  }
  { /* 3. a discharge to 3.9 V that starts below 3.9 V */
    Cell(&p);
    p.dt_initial = 1.0;
    p.nsteps     = 2;
    p.steps[0]   = FixtureStep(STEP_DISCHARGE, one_c, PETSC_INFINITY, 3.7);
    p.steps[1]   = FixtureStep(STEP_DISCHARGE, one_c, PETSC_INFINITY, 3.9);
    PetscCall(Run(&p, &s, &V));
    check(s.steps_completed == 2 && s.step_end_event[1] == EVENT_VOLTAGE && s.step_at_start[1] && !s.step_at_start[0] &&
              s.step_end_time[1] == s.step_end_time[0],
          "step_starting_past_its_cutoff_ends_at_its_start", "lasted %g s, want %g s", s.step_end_time[1] - s.step_end_time[0], 0.0);
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
