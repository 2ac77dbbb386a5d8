// The one source file of the program that defines the reference backend's operations
// (AIDA_NN_SEPARATE_COMPILATION is set for the whole program; see aida/nn/detail/config.hpp).
#include <aida/nn/impl/src.hpp>
