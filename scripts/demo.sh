#!/usr/bin/env bash
# The main job, end to end on real data and embedded defaults (README command one):
#   1. installs GDAL if missing (or prints the apt command), builds the server and the CLI;
#   2. fetches NASA Blue Marble months and Natural Earth land polygons from Debian packages (checked by SHA-256);
#   3. starts disco-server on loopback with a fresh data directory (SQLite + blob store, nothing else);
#   4. through the `disco` CLI: ingests months 01, 03, 05 (training) and 07, 08 (held out) onto the 1° equiangular
#      grid (RGB inputs, land/water labels rasterised from Natural Earth), trains a DISCO U-Net for a few minutes,
#      predicts the held-out months and writes COG maps, GeoJSON land polygons, PNG previews (prediction beside the
#      labels, learning curves) and a metrics JSON;
#   5. prints where everything is, and stops the server.
# Settings: DISCO_DEMO_OUT (output directory, default ./demo-output), DISCO_DEMO_EPOCHS (default 150),
# DISCO_DEMO_TRAIN_SECONDS (time limit, default 420),
# DISCO_DEMO_PORT (gRPC port, default 50151; the HTTP port is the next one).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${DISCO_DEMO_OUT:-$repo/demo-output}"
epochs="${DISCO_DEMO_EPOCHS:-150}"
train_seconds="${DISCO_DEMO_TRAIN_SECONDS:-420}"
port="${DISCO_DEMO_PORT:-50151}"
http_port=$((port + 1))
export DISCO_SERVER="http://127.0.0.1:$port"
started=$(date +%s)

step() { printf '\n\033[1m== %s\033[0m (%ds)\n' "$*" $(($(date +%s) - started)); }

step "System packages"
"$repo/scripts/ensure-deps.sh"

step "Build (Release)"
dotnet build "$repo/src/Disco.Geo.Server/Disco.Geo.Server.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
dotnet build "$repo/src/Disco.Geo.Cli/Disco.Geo.Cli.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
server_bin="$repo/src/Disco.Geo.Server/bin/Release/net10.0/disco-server"
disco="$repo/src/Disco.Geo.Cli/bin/Release/net10.0/disco"

step "Sample data (Debian packages gpredict and libmagics++-data, cached in ${DISCO_GEO_CACHE:-~/.cache/disco-geo})"
mapfile -t samples < <("$disco" samples fetch bmng-01 bmng-03 bmng-05 bmng-07 bmng-08 ne-50m-land)
declare -A month=([01]="${samples[0]}" [03]="${samples[1]}" [05]="${samples[2]}" [07]="${samples[3]}" [08]="${samples[4]}")
land="${samples[5]}"
cache_root="${DISCO_GEO_CACHE:-$HOME/.cache/disco-geo}"
printf '  %s\n' "${samples[@]}"

step "Start disco-server on 127.0.0.1:$port (data in $out/server-data)"
rm -rf "$out/server-data" "$out/maps"
mkdir -p "$out/maps"
"$server_bin" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$http_port" --data-dir "$out/server-data" \
  --import-root "$cache_root" >"$out/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null; true' EXIT
for _ in $(seq 1 120); do
  "$disco" health --timeout 2 >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "disco-server exited; see $out/server.log" >&2; tail -20 "$out/server.log" >&2; exit 1; }
  sleep 0.5
done
"$disco" health

step "Ingest Blue Marble months onto equiangular 181x360 with Natural Earth land/water labels"
for m in 01 03 05 07 08; do
  "$disco" datasets ingest --name "earth-$m" --path "${month[$m]}" --extra "$land" --grid equiangular:181x360:-180 \
    --band 1:input:average:red --band 2:input:average:green --band 3:input:average:blue --band 1.2:label:mode:land
done

# 150 epochs of the 3 months take about 3 minutes on 2 idle cores; the time limit only guards slower machines
# (the learning-rate schedule is planned for the epochs, so a run cut short ends less refined).
step "Train a DISCO U-Net on months 01, 03, 05 ($epochs epochs, at most ${train_seconds}s)"
cat >"$out/train.json" <<EOF
{
  "modelName": "land-water",
  "datasets": ["earth-01", "earth-03", "earth-05"],
  "task": "TRAINING_TASK_SEGMENTATION",
  "model": { "classNames": ["water", "land"] },
  "hyperParameters": { "epochs": $epochs, "batchSize": 1, "seed": 1, "timeLimitSeconds": $train_seconds }
}
EOF
"$disco" train --config "$out/train.json" --rotation z

step "Predict the held-out months 07 and 08"
"$disco" predict --model land-water --input-kind dataset earth-07 earth-08 --format cog,geojson,png --compare \
  --out "$out/maps" --json >"$out/metrics.json"
"$disco" models show land-water --curves "$out/training-curves.png" >/dev/null
"$disco" models export land-water "$out/land-water.discomodel" >/dev/null

step "Done in $(($(date +%s) - started)) s"
cat <<EOF
Held-out scores (area-weighted, against Natural Earth labels):
$(grep -E '"(input|miou|accuracy)"' "$out/metrics.json" | sed 's/^ */  /')

Outputs in $out:
  maps/earth-07.tif, maps/earth-08.tif           Cloud-Optimized GeoTIFF class maps (EPSG:4326, colour table)
  maps/earth-07.geojson, maps/earth-08.geojson   predicted land polygons with areas in km²
  maps/earth-07.png, maps/earth-08.png           coloured previews
  maps/earth-0?-vs-labels.png                    prediction | labels | disagreement
  training-curves.png                            training loss per step
  metrics.json                                   per-month scores, prediction ids and output paths
  land-water.discomodel                          the trained model package
  server.log                                     the server's log
EOF
