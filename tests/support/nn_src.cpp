// The reference backend's operations, compiled once for every test (AIDA_NN_SEPARATE_COMPILATION
// is defined for the whole test executable by the aida_nn_compiled target): the tests' own
// translation units then only declare them. See include/aida/nn/detail/config.hpp.
#include "aida/nn/impl/src.hpp"
