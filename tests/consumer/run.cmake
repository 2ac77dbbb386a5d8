# The install tests of tests/CMakeLists.txt: builds and runs a small program that uses aida
# as a user would, either from an installed package or as a subproject.
#
#   cmake -DSOURCE_DIR=<aida source> -DWORK_DIR=<scratch dir> -DMODE=find_package|add_subdirectory|fetch_content
#         -P run.cmake
#
# find_package:     installs aida into a temporary prefix under WORK_DIR, checks the installed
#                   files (headers, CMake package, version file, pkg-config file), then builds
#                   consumer/find_package with find_package(aida CONFIG REQUIRED) against that
#                   prefix only, with xtensor disabled (CMAKE_DISABLE_FIND_PACKAGE_xtensor: the
#                   core must not need it), and runs it; then, if aida was installed with its
#                   xtensor component, builds and runs consumer/xtensor_component, which asks
#                   for it (find_package(aida COMPONENTS xtensor)).
# add_subdirectory: builds consumer/add_subdirectory, which adds the aida source tree as a
#                   subproject (and checks that aida's tests are then off by default), and runs
#                   it; then checks that broken_model.cpp (a model without log_prob) fails to
#                   compile with aida's one-sentence message naming the missing member.
# fetch_content:    packs the files a release archive holds (CMakeLists.txt, cmake/, include/,
#                   LICENSE, the docs' JSON Schemas) into a .tar.gz, builds consumer/fetch_content,
#                   which gets aida with FetchContent from that archive, and runs it; and its
#                   second program, which uses the reference backend compiled once
#                   (AIDA_NN_SEPARATE_COMPILATION, one source file including impl/src.hpp).
cmake_minimum_required(VERSION 3.21)

foreach(var SOURCE_DIR WORK_DIR MODE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT MODE MATCHES "^(find_package|add_subdirectory|fetch_content)$")
  message(FATAL_ERROR "run.cmake: MODE must be find_package, add_subdirectory or fetch_content, not '${MODE}'")
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# The same generator for every step; Ninja when available (it is what the presets use).
find_program(NINJA_PROGRAM ninja)
if(NINJA_PROGRAM)
  set(generator -G Ninja)
else()
  set(generator "")
endif()

# Runs a command; on failure prints its output and stops with the step's name.
function(step name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "install test (${MODE}): ${name} failed (${rc})\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(consumer_build "${WORK_DIR}/consumer-build")

if(MODE STREQUAL "find_package")
  set(prefix "${WORK_DIR}/prefix")
  step("configuring aida" ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/aida-build" ${generator}
       -DCMAKE_INSTALL_PREFIX=${prefix} -DAIDA_BUILD_TESTS=OFF -DAIDA_BUILD_EXAMPLES=OFF
       -DAIDA_BUILD_BENCHMARKS=OFF)
  step("installing aida" ${CMAKE_COMMAND} --install "${WORK_DIR}/aida-build")

  # The installed files a user relies on.
  foreach(f include/aida/aida.hpp include/aida/core/concepts.hpp include/aida/algorithm/amplify.hpp
            share/cmake/aida/aidaConfig.cmake share/cmake/aida/aidaConfigVersion.cmake
            share/cmake/aida/aidaTargets.cmake share/pkgconfig/aida.pc share/aida/tree-schema.json
            share/aida/overseer-protocol.schema.json)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "install test: ${f} was not installed into ${prefix}")
    endif()
  endforeach()
  # The tree export's JSON Schema, for tools that validate exported trees, is the docs' one.
  file(READ "${prefix}/share/aida/tree-schema.json" installed_schema)
  file(READ "${SOURCE_DIR}/docs/tree-schema.json" source_schema)
  if(NOT installed_schema STREQUAL source_schema)
    message(FATAL_ERROR "install test: share/aida/tree-schema.json differs from docs/tree-schema.json")
  endif()
  file(READ "${prefix}/share/pkgconfig/aida.pc" pc)
  foreach(line "Name: aida" "prefix=${prefix}" "Cflags: -I\${includedir}")
    string(FIND "${pc}" "${line}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "install test: aida.pc lacks '${line}':\n${pc}")
    endif()
  endforeach()
  # The language standard is the user's choice (C++20 or later), not forced by Cflags.
  if(pc MATCHES "Cflags:[^\n]*-std=")
    message(FATAL_ERROR "install test: aida.pc forces a language standard:\n${pc}")
  endif()
  # pkg-config, when the machine has it (and eigen3's .pc, which aida.pc requires), reads it.
  find_program(PKG_CONFIG_PROGRAM pkg-config)
  if(PKG_CONFIG_PROGRAM)
    execute_process(COMMAND ${PKG_CONFIG_PROGRAM} --exists eigen3 RESULT_VARIABLE no_eigen_pc)
    if(no_eigen_pc EQUAL 0)
      step("reading aida.pc with pkg-config" ${CMAKE_COMMAND} -E env
           "PKG_CONFIG_PATH=${prefix}/share/pkgconfig" ${PKG_CONFIG_PROGRAM} --cflags aida)
      string(FIND "${step_output}" "-I${prefix}/include" at)
      if(at EQUAL -1)
        message(FATAL_ERROR "install test: pkg-config --cflags aida gives '${step_output}'")
      endif()
    endif()
  endif()
  # The detail headers are installed too (public headers include them).
  if(NOT EXISTS "${prefix}/include/aida/algorithm/detail/record.hpp")
    message(FATAL_ERROR "install test: detail headers were not installed")
  endif()

  # CMAKE_FIND_USE_PACKAGE_REGISTRY=OFF and an explicit prefix: the consumer can find aida
  # only in the temporary prefix (it checks aida_DIR itself).
  step("configuring the consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/find_package"
       -B "${consumer_build}" ${generator} -DCMAKE_PREFIX_PATH=${prefix}
       -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DEXPECTED_PREFIX=${prefix}
       -DCMAKE_DISABLE_FIND_PACKAGE_xtensor=ON)
elseif(MODE STREQUAL "fetch_content")
  set(archive "${WORK_DIR}/aida-src.tar.gz")
  step("packing the release archive" ${CMAKE_COMMAND} -E chdir "${SOURCE_DIR}"
       ${CMAKE_COMMAND} -E tar czf "${archive}" -- CMakeLists.txt cmake include LICENSE docs/tree-schema.json
               docs/overseer-protocol.schema.json)
  step("configuring the consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/fetch_content"
       -B "${consumer_build}" ${generator} -DAIDA_ARCHIVE=${archive})
else()
  step("configuring the consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/add_subdirectory"
       -B "${consumer_build}" ${generator} -DAIDA_SOURCE_DIR=${SOURCE_DIR})
endif()

step("building the consumer" ${CMAKE_COMMAND} --build "${consumer_build}")
step("running the consumer" "${consumer_build}/consumer")
string(FIND "${step_output}" "consumer: digit sum of 31415 is 14" at)
if(at EQUAL -1)
  message(FATAL_ERROR "install test (${MODE}): unexpected output of the consumer:\n${step_output}")
endif()
set(consumer_output "${step_output}")

# The reference backend compiled once, in the fetched consumer's second program.
if(MODE STREQUAL "fetch_content")
  step("running the nn consumer" "${consumer_build}/nn_consumer")
  string(FIND "${step_output}" "nn consumer: loss 10, dloss/dw00 1, gru as expected" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test (fetch_content): unexpected output of the nn consumer:\n${step_output}")
  endif()
  string(APPEND consumer_output "${step_output}")
endif()

# A consumer that asks for the xtensor component, when aida was installed with it.
if(MODE STREQUAL "find_package" AND EXISTS "${prefix}/share/cmake/aida/aida_xtensorTargets.cmake")
  set(xt_build "${WORK_DIR}/xtensor-consumer-build")
  step("configuring the xtensor consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/xtensor_component"
       -B "${xt_build}" ${generator} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  step("building the xtensor consumer" ${CMAKE_COMMAND} --build "${xt_build}")
  step("running the xtensor consumer" "${xt_build}/xtensor_consumer")
  string(FIND "${step_output}" "xtensor consumer: .npy of 3 floats" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test: unexpected output of the xtensor consumer:\n${step_output}")
  endif()
  string(APPEND consumer_output "${step_output}")
endif()

# A consumer that asks for the process and sqlite components, when aida was installed with
# both and Python 3 runs the example overseer.
find_program(AIDA_CONSUMER_PYTHON3 NAMES python3)
if(MODE STREQUAL "find_package" AND AIDA_CONSUMER_PYTHON3
   AND EXISTS "${prefix}/share/cmake/aida/aida_processTargets.cmake"
   AND EXISTS "${prefix}/share/cmake/aida/aida_sqliteTargets.cmake")
  set(ov_build "${WORK_DIR}/overseer-consumer-build")
  step("configuring the overseer consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/overseer_components"
       -B "${ov_build}" ${generator} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  step("building the overseer consumer" ${CMAKE_COMMAND} --build "${ov_build}")
  file(REMOVE "${ov_build}/cache.sqlite" "${ov_build}/cache.sqlite-wal" "${ov_build}/cache.sqlite-shm")
  step("running the overseer consumer" "${ov_build}/overseer_consumer" "${AIDA_CONSUMER_PYTHON3}"
       "${SOURCE_DIR}/examples/overseers/sum_overseer.py" "${ov_build}/cache.sqlite")
  string(FIND "${step_output}" "overseer consumer: fan_out(1234) = 12 | 34, hits 1, misses 1" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test: unexpected output of the overseer consumer:\n${step_output}")
  endif()
  string(APPEND consumer_output "${step_output}")
endif()

# A consumer that asks for the mpi component, when aida was installed with it. Open MPI
# refuses to run as root unless told (CI runs as root).
if(MODE STREQUAL "find_package" AND EXISTS "${prefix}/share/cmake/aida/aida_mpiTargets.cmake")
  set(mpi_build "${WORK_DIR}/mpi-consumer-build")
  step("configuring the mpi consumer" ${CMAKE_COMMAND} -S "${CMAKE_CURRENT_LIST_DIR}/mpi_component"
       -B "${mpi_build}" ${generator} -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  step("building the mpi consumer" ${CMAKE_COMMAND} --build "${mpi_build}")
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
  set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
  step("running the mpi consumer" "${mpi_build}/mpi_consumer")
  string(FIND "${step_output}" "mpi consumer: 1 rank, sum 3" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test: unexpected output of the mpi consumer:\n${step_output}")
  endif()
  string(APPEND consumer_output "${step_output}")
endif()

if(MODE STREQUAL "add_subdirectory")
  # A model that forgets log_prob must fail to compile with aida's sentence naming it.
  execute_process(COMMAND ${CMAKE_COMMAND} --build "${consumer_build}" --target broken_model
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "install test: a model without log_prob compiled")
  endif()
  string(FIND "${out}${err}" "aida: the model has no `log_prob" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install test: the compiler did not print aida's message for a missing log_prob:\n${out}\n${err}")
  endif()
endif()
message(STATUS "install test (${MODE}) passed:\n${consumer_output}")
