#pragma once
// The reference backend's operations, compiled once: include this file in exactly one source
// file of a program that defines AIDA_NN_SEPARATE_COMPILATION everywhere (see
// aida/nn/detail/config.hpp).

#if !defined(AIDA_NN_SEPARATE_COMPILATION)
#error "aida/nn/impl/src.hpp is for AIDA_NN_SEPARATE_COMPILATION builds: define it for the whole program, or do not include this file (header-only use needs no source file)"
#endif

#include "aida/nn/impl/ops.ipp"
#include "aida/nn/impl/gru.ipp"
#include "aida/nn/impl/attention.ipp"
