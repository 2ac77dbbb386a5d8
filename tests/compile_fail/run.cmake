# A compile-fail test (cmake -P): compiles one snippet that must not compile and checks that
# the compiler's FIRST error line is the sentence aida wrote for the mistake, so that a user
# who swaps two arguments reads which argument is wrong before anything else (issue 15 item 9).
#
#   cmake -DCXX=<compiler> -DINCLUDE=<aida's include directory> -DSOURCE=<snippet> -P run.cmake
#
# The snippet's line `// expect: <regular expression>` is what the first error line must match.
foreach(var CXX INCLUDE SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "compile_fail/run.cmake: -D${var}=... is missing")
  endif()
endforeach()

file(STRINGS "${SOURCE}" expect_line REGEX "^// expect: " LIMIT_COUNT 1)
if(NOT expect_line)
  message(FATAL_ERROR "${SOURCE} has no line `// expect: <regular expression>`")
endif()
string(REGEX REPLACE "^// expect: " "" expect "${expect_line}")

execute_process(COMMAND "${CXX}" -std=c++20 -fsyntax-only -I "${INCLUDE}" "${SOURCE}"
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled with ${CXX}, but it must not")
endif()
# g++ and clang both write `file:line:column: error: ...`; g++ puts its "In instantiation of"
# context before it, clang its notes after.
string(REGEX MATCH "[^\n]*: error: [^\n]*" first_error "${output}")
if(NOT first_error MATCHES "${expect}")
  message(FATAL_ERROR "The first error line of ${CXX} on ${SOURCE}:\n  ${first_error}\n"
                      "does not match:\n  ${expect}\nThe whole output:\n${output}")
endif()
message(STATUS "${CXX}: ${first_error}")
