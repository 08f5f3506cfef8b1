/* Temporary: no stored solver states yet, so no point continues from one. */
#include "ionstack.h"

PetscErrorCode RestartProbe(MPI_Comm comm, const char *path, PetscBool *usable, PetscReal *time)
{
  (void)comm, (void)path;
  *usable = PETSC_FALSE;
  *time   = 0;
  return 0;
}
