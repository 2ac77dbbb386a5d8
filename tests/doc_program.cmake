# Checks that a program shown whole in a document is the file it claims to be (cmake -P), so
# that the documentation cannot drift from the example that is built and run as a test.
#
#   cmake -DDOC=<document> -DROOT=<source directory> -DPROGRAM=<path under ROOT> -P doc_program.cmake
#
# The document holds the program as a ```cpp block between the lines
# `<!-- begin PROGRAM -->` and `<!-- end PROGRAM -->`.
foreach(var DOC ROOT PROGRAM)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "doc_program.cmake: -D${var}=... is missing")
  endif()
endforeach()
file(READ "${DOC}" doc)
file(READ "${ROOT}/${PROGRAM}" program)
set(begin "<!-- begin ${PROGRAM} -->\n```cpp\n")
set(end "```\n<!-- end ${PROGRAM} -->")
string(FIND "${doc}" "${begin}" from)
string(FIND "${doc}" "${end}" to)
if(from EQUAL -1 OR to EQUAL -1)
  message(FATAL_ERROR "${DOC} has no block between `<!-- begin ${PROGRAM} -->` and `<!-- end ${PROGRAM} -->`")
endif()
string(LENGTH "${begin}" begin_length)
math(EXPR from "${from} + ${begin_length}")
math(EXPR length "${to} - ${from}")
string(SUBSTRING "${doc}" ${from} ${length} shown)
if(NOT shown STREQUAL program)
  file(WRITE "${CMAKE_CURRENT_BINARY_DIR}/doc_program_shown.cpp" "${shown}")
  message(FATAL_ERROR "The program in ${DOC} differs from ${PROGRAM} "
                      "(what the document shows is in ${CMAKE_CURRENT_BINARY_DIR}/doc_program_shown.cpp; "
                      "diff it against ${ROOT}/${PROGRAM})")
endif()
