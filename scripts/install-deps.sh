#!/usr/bin/env bash
# Installs what aida's build, tests, examples, benchmarks and API reference need, from
# Debian's packages.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends \
  g++ clang cmake ninja-build pkg-config \
  libeigen3-dev libboost-dev libxtensor-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  libcli11-dev \
  nlohmann-json3-dev libsqlite3-dev python3 python3-jsonschema tmux \
  python3-numpy \
  libopenmpi-dev openmpi-bin \
  graphviz doxygen
# libFuzzer and the sanitizer runtimes of clang 14 (the fuzz preset, scripts/fuzz.sh): only
# recommended by Debian's clang, so not installed with --no-install-recommends.
$SUDO apt-get install -y --no-install-recommends libclang-rt-14-dev
