// The whole random layer (precipice/random/): the Philox block function, the
// per-replicate streams, bounded draws and distributions.
#pragma once

#include "precipice/random/bounded.hpp"
#include "precipice/random/distributions.hpp"
#include "precipice/random/philox.hpp"
#include "precipice/random/stream.hpp"
