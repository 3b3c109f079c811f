#!/usr/bin/env bash
# Test the Galaxy tools of enhancer_sk in a real Galaxy server, offline.
#
#   galaxy_tools/run_tests.sh [--lint-only] [TOOL ...]
#
# TOOL: tool file names without .xml (e.g. predict scan) to test only those (and
# no workflow); default: every tool and every workflow.
#
# 1. installs (once, cached in $GX_WORK) Galaxy 26.1.2 and planemo 0.75.47 from PyPI,
#    each in its own virtual environment (uv; no conda, no GitHub);
# 2. `planemo lint --fail_level warn` on every tool (offline: without BioToolsValid);
# 3. starts Galaxy (galaxy-web, sqlite, local job runner) on 127.0.0.1, whose
#    galaxy_packages dependency resolver maps the tools' requirement
#    `enhancer_sk` to the project's virtual environment ($TOOLS_VENV, default .venv),
#    and a Celery worker (sqlite broker) that runs the uploads and sets the metadata of
#    every job in processes forked from it: without it each of these starts a Python
#    that imports Galaxy (about 8 CPU-s), which made the whole run several times as long;
# 4. runs every tool's <test>s with galaxy-tool-test and the workflow tests with
#    `planemo test --engine external_galaxy`;
# 5. the browser check: galaxy_tools/screenshots.py opens every tool form and the cv
#    report in headless Chromium (Debian's chromium and chromium-driver; `make galaxy-test`
#    installs them) and writes docs/screenshots/*.png; GALAXY_SCREENSHOTS=0 skips it,
#    SCREENSHOTS_DIR writes the PNGs elsewhere. Then stops Galaxy.
# Exit code 1 when any lint warning, tool test, workflow test or page of the browser check
# fails; the last line is a pytest-like summary ("N passed, M failed").
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$REPO/galaxy_tools/enhancer_sk"
WORKFLOWS="$REPO/galaxy_tools/workflows"
GX_WORK=$(realpath -m "${GX_WORK:-$REPO/.gx-ci}")
TOOLS_VENV=$(realpath -m "${TOOLS_VENV:-$REPO/.venv}")
# a free port unless GALAXY_PORT is set
PORT=${GALAXY_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
GALAXY_VERSION=26.1.2
PLANEMO_VERSION=0.75.47
UV_VERSION=0.13.9
t0=$(date +%s)
ts() { echo "[galaxy $(( $(date +%s) - t0 ))s] $*" >&2; }

[ -x "$TOOLS_VENV/bin/enhancer-sk" ] || { echo "no enhancer-sk in $TOOLS_VENV (run 'make install' first)" >&2; exit 2; }
mkdir -p "$GX_WORK"
cd "$GX_WORK"

# ---------------------------------------------------------------- installs (cached)
if [ ! -x uvenv/bin/uv ]; then
  ts "bootstrap uv $UV_VERSION"
  python3 -m venv uvenv && uvenv/bin/pip install -q "uv==$UV_VERSION"
fi
UV="$GX_WORK/uvenv/bin/uv"
if [ ! -f gx/.installed ]; then
  ts "install galaxy==$GALAXY_VERSION"
  rm -rf gx
  # galaxy pins certifi==2026.10.19, which the package index here does not have: relax that one pin
  echo 'certifi>=2026.10.18' > overrides.txt
  "$UV" venv -q -p python3.11 gx
  "$UV" pip install -q --python gx/bin/python --override overrides.txt "galaxy==$GALAXY_VERSION"
  touch gx/.installed
fi
if [ ! -f planemo/.installed ]; then
  ts "install planemo==$PLANEMO_VERSION"
  rm -rf planemo
  "$UV" venv -q -p python3.11 planemo
  "$UV" pip install -q --python planemo/bin/python "planemo==$PLANEMO_VERSION"
  touch planemo/.installed
fi

# ---------------------------------------------------------------- lint
ts "planemo lint --fail_level warn"
# BioToolsValid looks each bio.tools xref up on https://bio.tools/api (network): offline it warns
# "No entry ... in bio.tools" for every xref, so it is skipped here (the ids are checked by hand)
planemo/bin/planemo lint --fail_level warn --skip BioToolsValid "$TOOLS"/*.xml > lint.log 2>&1 || {
  cat lint.log; echo "planemo lint failed"; echo "0 passed, 1 failed (lint)"; exit 1; }
echo "planemo lint: $(grep -c 'Linting tool' lint.log) tools clean"
if [ "${1:-}" = "--lint-only" ]; then exit 0; fi
SELECTED=("$@")

# ---------------------------------------------------------------- Galaxy configuration
TOOL_VERSION=$("$TOOLS_VENV/bin/python" -c 'import enhancer_sk; print(enhancer_sk.__version__)')
macro_version=$(sed -n 's:.*<token name="@TOOL_VERSION@">\(.*\)</token>.*:\1:p' "$TOOLS/macros.xml")
[ "$macro_version" = "$TOOL_VERSION" ] || {
  echo "macros.xml @TOOL_VERSION@ ($macro_version) differs from enhancer_sk.__version__ ($TOOL_VERSION)"; exit 1; }
rm -rf config data deps results
mkdir -p config data "deps/enhancer_sk/$TOOL_VERSION"
# the tools' <requirement>enhancer_sk</requirement> resolves to the project's environment
printf 'PATH="%s/bin:$PATH"; export PATH\n' "$TOOLS_VENV" > "deps/enhancer_sk/$TOOL_VERSION/env.sh"
TOOL_XMLS=$(grep -l '<tool ' "$TOOLS"/*.xml | sort)
if [ ${#SELECTED[@]} -gt 0 ]; then
  TOOL_XMLS=$(for t in "${SELECTED[@]}"; do [ -f "$TOOLS/$t.xml" ] || { echo "no tool $TOOLS/$t.xml" >&2; exit 2; }
              echo "$TOOLS/$t.xml"; done)
fi
{ echo '<toolbox monitor="false"><section id="enhancer_sk" name="Enhancer recognition">'
  for x in $TOOL_XMLS; do echo "  <tool file=\"$x\"/>"; done
  echo '</section></toolbox>'; } > config/tool_conf.xml
printf '<tables/>\n' > config/empty_tool_data_tables.xml
BK=bootstrap-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
cat > config/galaxy.yml <<YML
galaxy:
  config_dir: $GX_WORK/config
  data_dir: $GX_WORK/data
  tool_config_file: $GX_WORK/config/tool_conf.xml
  tool_dependency_dir: $GX_WORK/deps
  dependency_resolvers:
    - type: galaxy_packages
  conda_auto_init: false
  conda_auto_install: false
  bootstrap_admin_api_key: $BK
  admin_users: ci@example.org
  allow_path_paste: true
  enable_celery_tasks: true
  metadata_strategy: directory_celery
  watch_tools: "false"
  id_secret: $(python3 -c 'import secrets; print(secrets.token_hex(16))')
  enable_mulled_containers: false
  involucro_auto_init: false
  tool_data_table_config_path: $GX_WORK/config/empty_tool_data_tables.xml
  # Galaxy's default sqlite URL with a 60 s lock wait (Galaxy, its Celery worker and the test
  # runner write to one file; the default 5 s gave 'database is locked' on a loaded machine)
  database_connection: "sqlite:///$GX_WORK/data/universe.sqlite?isolation_level=IMMEDIATE&timeout=60"
YML

# ---------------------------------------------------------------- start Galaxy
ts "start Galaxy $GALAXY_VERSION on 127.0.0.1:$PORT"
gx/bin/galaxy-web -c config/galaxy.yml -b "127.0.0.1:$PORT" > galaxy.log 2>&1 &
GX_PID=$!
CELERY_PID=
stop_servers() {  # Galaxy, and the Celery worker's process group (its fork server and pool)
  kill "$GX_PID" 2> /dev/null || true
  if [ -n "$CELERY_PID" ]; then  # setsid made the worker a process group leader: stop the group
    if [ "$(ps -o pgid= -p "$CELERY_PID" | tr -d ' ')" = "$CELERY_PID" ]; then
      kill -- "-$CELERY_PID" 2> /dev/null || true
    else
      kill "$CELERY_PID" 2> /dev/null || true
    fi
  fi
  wait "$GX_PID" $CELERY_PID 2> /dev/null || true
}
trap stop_servers EXIT
URL="http://127.0.0.1:$PORT"
until curl -sf "$URL/api/version" > /dev/null; do
  kill -0 $GX_PID 2> /dev/null || { tail -50 galaxy.log; echo "Galaxy did not start"; exit 1; }
  sleep 2
done
ts "Galaxy up: $(curl -sf "$URL/api/version")"
# a Celery worker (broker and results in sqlite files of data/): uploads and metadata run as
# tasks in processes forked from it, instead of a job script that imports Galaxy twice per dataset
GALAXY_CONFIG_FILE="$GX_WORK/config/galaxy.yml" setsid gx/bin/celery --app galaxy.celery worker --pool threads \
  --concurrency 2 --queues celery,galaxy.internal,galaxy.external --loglevel WARNING > celery.log 2>&1 &
CELERY_PID=$!
U=$(curl -sf -H "x-api-key: $BK" -H 'Content-Type: application/json' \
  -d '{"username":"ci","email":"ci@example.org","password":"ci-password-123"}' "$URL/api/users")
UID_=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$U")
KEY=$(curl -sf -X POST -H "x-api-key: $BK" "$URL/api/users/$UID_/api_key" | tr -d '"')

# ---------------------------------------------------------------- tool tests
rc=0
# a job (or upload) that never finishes fails its test after this many seconds instead of
# blocking the run (galaxy-tool-test waits 24 h by default)
export GALAXY_TEST_DEFAULT_WAIT=${GALAXY_TEST_DEFAULT_WAIT:-900}
mkdir -p results
if [ ${#SELECTED[@]} -eq 0 ]; then
  # every tool on the server (only this suite's) in one run: three tests at a time
  ts "tool tests of every tool"
  gx/bin/galaxy-tool-test -u "$URL" -k "$KEY" -a "$BK" --parallel-tests 3 \
    -j results/gtt-all.json > results/gtt-all.log 2>&1 || rc=1
  # a runner that died wrote no results: one failure in the summary instead of none
  [ -s results/gtt-all.json ] || echo '{"tests": [{"id": "galaxy-tool-test (no results written)", "data": {"status": "error"}}]}' > results/gtt-all.json
  grep -E '^(Failed|Errored)|Passed tool tests' results/gtt-all.log >&2 || tail -20 results/gtt-all.log >&2
else
  for x in $TOOL_XMLS; do
    id=$(python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("id"))' "$x")
    ts "tool tests of $id"
    gx/bin/galaxy-tool-test -u "$URL" -k "$KEY" -a "$BK" -t "$id" --parallel-tests 3 \
      -j "results/gtt-$id.json" > "results/gtt-$id.log" 2>&1 || rc=1
    grep -E '^(Failed|Errored)|Passed tool tests' "results/gtt-$id.log" >&2 || tail -20 "results/gtt-$id.log" >&2
  done
fi

# ---------------------------------------------------------------- workflow tests
if [ ${#SELECTED[@]} -eq 0 ] && ls "$WORKFLOWS"/*.ga > /dev/null 2>&1; then
  for wf in "$WORKFLOWS"/*.ga; do
    name=$(basename "$wf" .ga)
    ts "workflow test $name"
    planemo/bin/planemo test --engine external_galaxy --galaxy_url "$URL" \
      --galaxy_admin_key "$BK" --galaxy_user_key "$KEY" --summary minimal \
      --test_output_json "results/wf-$name.json" "$wf" > "results/wf-$name.log" 2>&1 || rc=1
    tail -3 "results/wf-$name.log" >&2
  done
fi

# ---------------------------------------------------------------- browser check (screenshots)
# every tool form and the cv report in headless Chromium: fails on a JavaScript error or an
# empty form, and writes the PNGs to docs/screenshots (the README shows two of them).
# GALAXY_SCREENSHOTS=0 skips it (quick local runs); CI runs it.
if [ "${GALAXY_SCREENSHOTS:-1}" != 0 ]; then
  ts "browser check: tool forms and cv report (screenshots.py)"
  shots_ids=$(for x in $TOOL_XMLS; do
    python3 -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("id"))' "$x"; done)
  # shellcheck disable=SC2086  # one argument per tool id
  "$TOOLS_VENV/bin/python" "$REPO/galaxy_tools/screenshots.py" --url "$URL" --api-key "$KEY" \
    --email ci@example.org --password ci-password-123 --out "${SCREENSHOTS_DIR:-$REPO/docs/screenshots}" \
    --json results/screenshots.json --tools $shots_ids > results/screenshots.log 2>&1 || {
    rc=1
    # no JSON (e.g. the script could not start): count the step as one failure in the summary
    [ -s results/screenshots.json ] ||
      echo '{"tests": [{"id": "screenshots", "data": {"status": "error"}}]}' > results/screenshots.json
  }
  grep -E '^screenshots: ' results/screenshots.log >&2 || tail -20 results/screenshots.log >&2
fi
stop_servers
trap - EXIT

# ---------------------------------------------------------------- summary
if python3 - results <<'PY'
import json, pathlib, sys
passed, failed = 0, []
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.json")):
    doc = json.loads(f.read_text())
    for t in doc.get("tests", []):
        status = t.get("data", {}).get("status")
        if status == "success":
            passed += 1
        else:
            failed.append(t.get("id", f.stem))
for name in failed:
    print(f"FAILED {name}")
print(f"galaxy: {passed} passed, {len(failed)} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY
then :; else rc=1; fi
ts "done (rc=$rc)"
exit $rc
