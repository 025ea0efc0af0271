#!/usr/bin/env bash
# Makes sure the system packages Disco.Geo needs are installed (Debian/Ubuntu):
#   libgdal32 (or a later soname) + gdal-bin   the GDAL C library we bind, and its command-line tools
#   libjs-leaflet                              Leaflet, which the server's map viewer page (/tiles/ID/viewer.html)
#                                              loads from /usr/share/javascript/leaflet (also the browser test's map)
#   postgresql                                 only for the cluster-mode tests (--with-postgres): the server binaries
#                                              (/usr/lib/postgresql/<major>/bin) they start a throw-away PostgreSQL with
#   python3-grpcio python3-grpc-tools          the Python client (clients/python) and its tests (--with-python):
#   python3-numpy python3-xarray               gRPC, stub generation, prediction arrays, labelled DataArrays
#   chromium                                   only for the headless-browser map tile test (--with-browser)
# Installs them with apt as root or through sudo; otherwise prints the exact command to run and fails.
set -euo pipefail

need=()
# Checked one by one: a machine may have the library (pulled in by another package) without the tools.
ldconfig -p 2>/dev/null | grep -Eq 'libgdal\.so(\.[0-9]+)?\b' || need+=(libgdal32)
command -v gdal_translate >/dev/null 2>&1 || need+=(gdal-bin)
leaflet_missing() { [[ ! -f /usr/share/javascript/leaflet/leaflet.js ]]; }
leaflet_missing && need+=(libjs-leaflet)
for option in "$@"; do
  case "$option" in
    --with-postgres)
      # Debian's layout, which the test fixture (tests/Shared/Postgres) looks in; binaries elsewhere on PATH do not count.
      compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql) ;;
    --with-python)
      # Debian's interpreter, which the Python client tests run (a python3 earlier on PATH, e.g. pyenv's, lacks the packages)
      /usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || need+=(python3-grpcio python3-grpc-tools)
      /usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
      /usr/bin/python3 -c 'import xarray' 2>/dev/null || need+=(python3-xarray) ;;
    --with-browser)
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      # Already in the base set (the server serves the viewer by default); listed here so the group is complete alone.
      leaflet_missing && [[ " ${need[*]} " != *" libjs-leaflet "* ]] && need+=(libjs-leaflet) ;;
    *)
      echo "Unknown option '$option'; use --with-python, --with-browser and/or --with-postgres." >&2
      exit 2 ;;
  esac
done
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
