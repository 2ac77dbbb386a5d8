// The reference backend's operations for the experiment, compiled once in their own
// translation unit beside examples/experiment.cpp (the experiment's target defines
// AIDA_NN_SEPARATE_COMPILATION: include/aida/nn/detail/config.hpp). The two compile in
// parallel, so that the demo preset's build waits for the longer one only.
#include "aida/nn/impl/src.hpp"
