# A test of how the experiment refuses something: `cmake -DPROGRAM=... -DARGS=... -DEXPECT=... -P
# expect_error.cmake` runs PROGRAM and passes only when
#   - it exits non-zero,
#   - what it printed matches the regular expression EXPECT,
#   - it printed no "wrote ..." line and started no training (the experiment prints its banner,
#     "aida experiment: ...", just before it trains).
# (ctest's PASS_REGULAR_EXPRESSION alone ignores the exit code.)
#
# ARGS holds the arguments separated by '|', so that one may hold spaces (' -5').
# Optional:
#   FRESH_DIR   a directory emptied (or made) before the run
#   MAKE_DIR    a directory made before the run (e.g. one standing where a file will be written)
#   COPY        "FROM|TO": a file copied before the run
#   UNCHANGED   a file that must hold the same bytes after the run, with nothing else left
#               beside it in its directory (no temporary file)
#   FILE_LIMIT  run under `ulimit -f FILE_LIMIT` (blocks), with SIGXFSZ ignored, so that a write
#               past the limit fails (as on a full disk) instead of killing the program
foreach(required PROGRAM ARGS EXPECT)
  if(NOT DEFINED ${required})
    message(FATAL_ERROR "expect_error.cmake: ${required} is not set")
  endif()
endforeach()

if(DEFINED FRESH_DIR)
  file(REMOVE_RECURSE "${FRESH_DIR}")
  file(MAKE_DIRECTORY "${FRESH_DIR}")
endif()
if(DEFINED MAKE_DIR)
  file(MAKE_DIRECTORY "${MAKE_DIR}")
endif()
if(DEFINED COPY)
  string(REPLACE "|" ";" copy "${COPY}")
  list(GET copy 0 copy_from)
  list(GET copy 1 copy_to)
  file(COPY_FILE "${copy_from}" "${copy_to}")
endif()
if(DEFINED UNCHANGED)
  file(READ "${UNCHANGED}" before HEX)
endif()

string(REPLACE "|" ";" args "${ARGS}")
if(DEFINED FILE_LIMIT)
  execute_process(COMMAND sh -c "trap '' XFSZ; ulimit -f ${FILE_LIMIT} && exec \"$0\" \"$@\"" "${PROGRAM}" ${args}
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
else()
  execute_process(COMMAND "${PROGRAM}" ${args} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
endif()
message("${out}")

set(failures "")
if(status STREQUAL "0")
  string(APPEND failures "\n  it exited with status 0")
endif()
if(NOT out MATCHES "${EXPECT}")
  string(APPEND failures "\n  its output does not match: ${EXPECT}")
endif()
if(out MATCHES "(^|\n)wrote ")
  string(APPEND failures "\n  it printed a 'wrote' line")
endif()
if(out MATCHES "aida experiment:")
  string(APPEND failures "\n  it started training")
endif()
if(DEFINED UNCHANGED)
  if(NOT EXISTS "${UNCHANGED}")
    string(APPEND failures "\n  ${UNCHANGED} is gone")
  else()
    file(READ "${UNCHANGED}" after HEX)
    if(NOT before STREQUAL after)
      string(APPEND failures "\n  ${UNCHANGED} was changed")
    endif()
  endif()
  get_filename_component(kept "${UNCHANGED}" ABSOLUTE)
  get_filename_component(dir "${kept}" DIRECTORY)
  get_filename_component(name "${kept}" NAME)
  file(GLOB left RELATIVE "${dir}" "${dir}/*" "${dir}/.*")
  list(REMOVE_ITEM left "${name}")
  if(left)
    string(APPEND failures "\n  it left beside ${name}: ${left}")
  endif()
endif()
if(failures)
  message(FATAL_ERROR "the experiment (${args}) did not fail as expected:${failures}")
endif()
