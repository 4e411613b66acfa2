#!/usr/bin/env bash
# Installs what simscore needs to build (Debian packages; docs/development.md "Dependencies" says
# why each is there). With --test, also a Python environment in .venv with the reference
# implementations the tests compare against (PyTorch CPU, transformers, sentence-transformers,
# scikit-learn, scipy).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev libopenblas-openmp-dev libsentencepiece-dev libicu-dev zlib1g-dev libminizip-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libdnnl-dev ocl-icd-opencl-dev libbenchmark-dev
  python3 python3-pip python3-venv
)
# clang with its sanitizer and libFuzzer runtimes, and LLVM's OpenMP runtime that clang's -fopenmp
# needs: scripts/sanitize.sh and scripts/fuzz.sh. A Java 17 runtime for pyspark's Spark
# (tests/e2e/test_spark.py) and GNU parallel (the one-liners of examples/parallel.sh, tested). QEMU's
# user-mode emulator runs the portable binary on older CPUs (tests/build/portable_cpu_test.sh);
# dpkg-dev's dpkg-shlibdeps reads the Debian package's dependencies off the binary (CPack).
# Headless Chromium renders the HTML report (tests/e2e/test_eval_vs_sklearn.py), with DejaVu fonts
# (the report's own font, so the screenshot does not depend on what else is installed).
# man-db renders the installed man page (tests/build/deb_install_test.sh: `man simscore`).
test_packages=(libgtest-dev clang libclang-rt-14-dev libomp-dev openjdk-17-jre-headless parallel
  qemu-user dpkg-dev chromium fonts-dejavu-core man-db)

want=("${packages[@]}")
[[ ${1:-} == --test ]] && want+=("${test_packages[@]}")
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ${1:-} == --test ]]; then
  [[ -x .venv/bin/python ]] || python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/reference/requirements.txt
fi
