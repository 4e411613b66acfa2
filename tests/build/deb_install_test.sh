#!/usr/bin/env bash
# Installs the Debian package as a user would (apt-get install ./simscore_*.deb, which also pulls
# in the libraries it depends on), scores the example pairs from an unrelated directory with the
# packaged default model, checks the scores equal the build tree's, that `man simscore` renders and
# the bash completion is installed, and removes the package again.
# Run as root by scripts/test.sh; it changes only what the package itself installs.
#
# usage: deb_install_test.sh PACKAGE.deb BUILD_TREE_SIMSCORE SOURCE_DIR
set -euo pipefail
package=$(readlink -f "$1")
built=$(readlink -f "$2")
source_dir=$(readlink -f "$3")

if dpkg-query -W -f='${Status}' simscore 2>/dev/null | grep -q "install ok installed"; then
  echo "deb_install_test.sh: a simscore package is installed already; not touching it" >&2
  exit 1
fi
work=$(mktemp -d)
cleanup() {
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq simscore >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
echo "installed: $(dpkg-query -W -f='${Package} ${Version} ${Installed-Size} KiB' simscore)"
echo "depends:   $(dpkg-query -W -f='${Depends}' simscore)"

cp /usr/share/doc/simscore/examples/pairs.tsv "$work/"
cd "$work"
# From a directory that knows nothing of the source tree, with no model given and none in the
# environment: the packaged default model, found beside the installed binary.
env -u SIMSCORE_MODEL /usr/bin/simscore score pairs.tsv >installed.tsv
"$built" score "$source_dir/examples/pairs.tsv" --model "$source_dir/models/all-MiniLM-L6-v2" >built.tsv
if ! cmp -s installed.tsv built.tsv; then
  echo "FAIL: the installed package's scores differ from the build tree's:" >&2
  paste installed.tsv built.tsv >&2
  exit 1
fi
echo "the installed package scores examples/pairs.tsv from $work as the build tree does ($(wc -l <installed.tsv) rows)"

# The man page and the bash completion the package installs, both written at build time from the
# command-line definitions --help prints (cli/manual.h).
man_page=/usr/share/man/man1/simscore.1.gz
if [[ ! -f $man_page ]]; then
  echo "FAIL: the package installed no $man_page (is /usr/share/man excluded by a dpkg path-exclude?)" >&2
  exit 1
fi
MANPAGER=cat MANWIDTH=100 man simscore >man.txt 2>man.err || { cat man.err >&2; echo "FAIL: man simscore" >&2; exit 1; }
for expected in "SIMSCORE(1)" "simscore score" "--max-memory" "EXIT STATUS" "EXAMPLES"; do
  if ! grep -qF -- "$expected" man.txt; then
    echo "FAIL: man simscore does not show \"$expected\":" >&2
    head -40 man.txt >&2
    exit 1
  fi
done
completion=/usr/share/bash-completion/completions/simscore
if [[ ! -f $completion ]] || ! bash -c "source $completion && complete -p simscore" >/dev/null; then
  echo "FAIL: no working bash completion at $completion" >&2
  exit 1
fi
echo "man simscore renders ($(wc -l <man.txt) lines) and $completion defines the completion"
