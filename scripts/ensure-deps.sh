#!/usr/bin/env bash
# Makes sure the system packages Disco.Geo needs are installed (Debian/Ubuntu):
#   libgdal32 (or a later soname) + gdal-bin   the GDAL C library we bind, and its command-line tools
#   postgresql                                 the server binaries (/usr/lib/postgresql/<major>/bin) the cluster-mode
#                                              tests start a throw-away PostgreSQL with (initdb + pg_ctl, Unix socket only)
#   python3-grpcio python3-grpc-tools          only for the independent Python client test (--with-python)
# Installs them with apt as root or through sudo; otherwise prints the exact command to run and fails.
set -euo pipefail

need=()
# Checked one by one: a machine may have the library (pulled in by another package) without the tools.
ldconfig -p 2>/dev/null | grep -Eq 'libgdal\.so(\.[0-9]+)?\b' || need+=(libgdal32)
command -v gdal_translate >/dev/null 2>&1 || need+=(gdal-bin)
# Debian's layout, which the test fixture (tests/Shared/Postgres) looks in; binaries elsewhere on PATH do not count.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [[ "${1:-}" == "--with-python" ]]; then
  # Debian's interpreter, which the Python client test runs (a python3 earlier on PATH, e.g. pyenv's, lacks the packages)
  /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || need+=(python3-grpcio python3-grpc-tools)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0

command="apt-get install -y --no-install-recommends ${need[*]}"
if [[ $(id -u) -eq 0 ]]; then
  echo "Installing: ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive $command >/dev/null
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  echo "Installing with sudo: ${need[*]}" >&2
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive $command >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Run as root:  apt-get update && $command" >&2
  exit 1
fi
