# Run after Doxygen by the docs target: makes the HTML's links to the repository's own files
# work, and fails on a link to nothing.
#
#   cmake -DSOURCE=<repository> -DHTML=<Doxygen's html directory> -P cmake/docs_links.cmake
#
# The Markdown pages (README.md, docs/*.md, benchmarks/README.md, fuzz/README.md) link to
# sources, scripts and result folders by paths relative to themselves, which Doxygen copies
# into the HTML as they are; the pages land flat in html/, so none of those links led
# anywhere. Each relative link of a page that names no file of the HTML is resolved against
# the page's source directory; the file or folder it names is copied to html/files/<its path
# in the repository> and the link rewritten to it. A link that names nothing in the
# repository either is an error naming the page and the link. A link with a fragment to one of
# the Markdown pages, which Doxygen leaves as written, is pointed at that page's HTML.
#
# The fragments are GitHub's anchors of the headings (`#which-one` for "## Which one"), which
# Doxygen does not make (it names a heading autotoc_md<N>): each heading of a Markdown page gets
# a second anchor with GitHub's name, so that one link works on GitHub and in the HTML, and a
# link to a fragment that no heading of its page has is an error too.
cmake_minimum_required(VERSION 3.20)
if(NOT SOURCE OR NOT HTML)
  message(FATAL_ERROR "docs_links.cmake: give -DSOURCE=<repository> and -DHTML=<html directory>")
endif()

file(REMOVE_RECURSE "${HTML}/files")  # what an earlier build copied
file(GLOB pages "${HTML}/*.html")

# GitHub's anchors for the headings of the Markdown pages (index.html is README.md). GitHub
# lower-cases the heading's text, drops what is not a letter, digit, space, '-' or '_' (here:
# every non-ASCII character too, which holds for this project's headings), turns spaces into
# '-', and numbers a repeated name (-1, -2, ...). A ';' of the HTML is kept out of CMake's
# lists as @SEMI@.
set(slugged 0)
foreach(page IN LISTS pages)
  get_filename_component(name "${page}" NAME)
  if(NOT name MATCHES "^md_" AND NOT name STREQUAL "index.html")
    continue()
  endif()
  file(READ "${page}" text)
  string(REPLACE ";" "@SEMI@" text "${text}")
  string(REGEX MATCHALL "id=\"autotoc_md[0-9]+\"></a>\n?[^\n]*</h[1-6]>" headings "${text}")
  set(seen "")
  foreach(heading IN LISTS headings)
    string(REGEX REPLACE "^id=\"(autotoc_md[0-9]+)\".*" "\\1" id "${heading}")
    string(REGEX REPLACE "^id=\"autotoc_md[0-9]+\"></a>\n?(.*)</h[1-6]>$" "\\1" title "${heading}")
    string(REGEX REPLACE "<[^>]*>" "" title "${title}")         # tags (<code>)
    string(REGEX REPLACE "&lt@SEMI@/?tt&gt@SEMI@" "" title "${title}")  # a code span, as Doxygen writes one in a heading
    string(REGEX REPLACE "&[#a-zA-Z0-9]+@SEMI@" "" title "${title}")  # entities: punctuation
    string(REPLACE "@SEMI@" "" title "${title}")                       # and so is ';'
    string(TOLOWER "${title}" title)
    string(REGEX REPLACE "[^a-z0-9 _-]" "" slug "${title}")
    string(REPLACE " " "-" slug "${slug}")
    set(unique "${slug}")
    set(n 0)
    while(unique IN_LIST seen)
      math(EXPR n "${n} + 1")
      set(unique "${slug}-${n}")
    endwhile()
    list(APPEND seen "${unique}")
    string(FIND "${text}" "id=\"${unique}\"" already)
    if(already EQUAL -1)
      string(REPLACE "id=\"${id}\"></a>" "id=\"${id}\"></a><a class=\"anchor\" id=\"${unique}\"></a>" text "${text}")
      math(EXPR slugged "${slugged} + 1")
    endif()
  endforeach()
  string(REPLACE "@SEMI@" ";" text "${text}")
  file(WRITE "${page}" "${text}")
endforeach()
set(broken "")
set(copied 0)
foreach(page IN LISTS pages)
  get_filename_component(name "${page}" NAME)
  # The source directory of the page, relative to the repository.
  if(name MATCHES "^md_docs_")
    set(base "docs/")
  elseif(name STREQUAL "md_benchmarks_README.html")
    set(base "benchmarks/")
  elseif(name STREQUAL "md_fuzz_README.html")
    set(base "fuzz/")
  else()
    set(base "")  # index.html (README.md) and the API's pages
  endif()
  file(READ "${page}" text)
  # Relative links: no scheme (no ':'), not a bare fragment, ending at the quote or a '#'.
  string(REGEX MATCHALL "href=\"[^\":#?]+[\"#]" links "${text}")
  list(REMOVE_DUPLICATES links)
  set(changed FALSE)
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^href=\"([^\":#?]+)([\"#])$" "\\1" target "${link}")
    string(REGEX REPLACE "^href=\"([^\":#?]+)([\"#])$" "\\2" end "${link}")
    if(EXISTS "${HTML}/${target}")
      continue()  # Doxygen's own pages, styles and scripts
    endif()
    cmake_path(SET in_repo NORMALIZE "${base}${target}")
    if(in_repo MATCHES "^\\.\\./" OR NOT EXISTS "${SOURCE}/${in_repo}")
      string(APPEND broken "\n  ${name}: ${target}")
      continue()
    endif()
    # A Markdown page with a fragment, which Doxygen leaves as it is: the page's HTML, the
    # fragment kept (its headings' anchors are Doxygen's own, so the link opens the page at
    # its top).
    if(in_repo MATCHES "\\.md$")
      if(in_repo STREQUAL "README.md")
        set(page_html "index.html")
      else()
        string(REGEX REPLACE "\\.md$" "" page_html "${in_repo}")
        string(REGEX REPLACE "[/-]" "_" page_html "md_${page_html}.html")
      endif()
      if(EXISTS "${HTML}/${page_html}")
        string(REPLACE "${link}" "href=\"${page_html}${end}" text "${text}")
        set(changed TRUE)
        continue()
      endif()
    endif()
    # file(COPY) skips a file already copied with its time stamp, so a folder inside one
    # copied before (or holding one) is copied whole either way.
    set(copy "${HTML}/files/${in_repo}")
    if(IS_DIRECTORY "${SOURCE}/${in_repo}")
      file(COPY "${SOURCE}/${in_repo}/" DESTINATION "${copy}")
    else()
      get_filename_component(dir "${copy}" DIRECTORY)
      file(COPY "${SOURCE}/${in_repo}" DESTINATION "${dir}")
    endif()
    math(EXPR copied "${copied} + 1")
    string(REPLACE "${link}" "href=\"files/${in_repo}${end}" text "${text}")
    set(changed TRUE)
  endforeach()
  if(changed)
    file(WRITE "${page}" "${text}")
  endif()
endforeach()
if(broken)
  message(FATAL_ERROR "docs: these links of the HTML lead to no file of the repository:${broken}")
endif()

# Every link to a heading of a Markdown page names one that the page has.
set(fragments 0)
foreach(page IN LISTS pages)
  get_filename_component(name "${page}" NAME)
  file(READ "${page}" text)
  string(REPLACE ";" "@SEMI@" text "${text}")
  string(REGEX MATCHALL "href=\"(md_[A-Za-z0-9_]+|index)\\.html#[^\"]+\"" links "${text}")
  list(REMOVE_DUPLICATES links)
  foreach(link IN LISTS links)
    string(REGEX REPLACE "^href=\"([^#]+)#([^\"]+)\"$" "\\1" target "${link}")
    string(REGEX REPLACE "^href=\"([^#]+)#([^\"]+)\"$" "\\2" fragment "${link}")
    if(NOT EXISTS "${HTML}/${target}")
      continue()  # a page the first pass already reported
    endif()
    file(READ "${HTML}/${target}" target_text)
    string(FIND "${target_text}" "id=\"${fragment}\"" at)
    if(at EQUAL -1)
      string(APPEND broken "\n  ${name}: ${target}#${fragment}")
    endif()
    math(EXPR fragments "${fragments} + 1")
  endforeach()
endforeach()
if(broken)
  message(FATAL_ERROR "docs: these links of the HTML name a heading that their page does not have:${broken}")
endif()
message(STATUS "docs: ${copied} links to files and folders of the repository, copied to ${HTML}/files; "
               "${slugged} headings given GitHub's anchors; ${fragments} links to headings checked")
