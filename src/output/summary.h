/* Private interface of the sweep summary (summary.c) to output.c. */
#pragma once
#include <hdf5.h>
#include "ionstack.h"

/* Writes /sweep of a sweep point into an open run file: its index, the
 * number of points, the swept keys in order (/sweep/keys, comma-separated)
 * and each input (/sweep/inputs/<key>: the text as written, with attributes
 * value, the number in the axis's unit or NaN, and units). */
PetscErrorCode SweepPointWrite(hid_t file, const Params *p);
