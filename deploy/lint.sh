#!/usr/bin/env bash
# Validates deploy/ without Docker or a cluster. Every tool comes from the dev extras in the
# project's venv (pip install -e '.[dev]') and works offline: vendored schemas, no pulls.
#   yamllint             every YAML file (syntax, duplicate keys, style)
#   check-jsonschema     compose.yaml against the Compose Specification (vendored schema);
#                        rabbitmq/definitions.json against rabbitmq/definitions.schema.json
#   kubernetes-validate  k8s/*.yaml against the bundled Kubernetes API schemas, strict
#   hadolint             Dockerfile best practices, failing on any finding
#   hub.config           hub.toml loads and validates as the hub would read it
# Exit status: the number of failed checks (0 = all clean).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${VENV:-$here/../.venv}/bin"

for tool in yamllint check-jsonschema kubernetes-validate hadolint python; do
  if [[ ! -x "$bin/$tool" ]]; then
    echo "deploy/lint.sh: $bin/$tool is missing; run: pip install -e '.[dev]'" >&2
    exit 2
  fi
done

failed=0
check() {
  echo "--- $1"
  shift
  "$@" || failed=$((failed + 1))
}

cd "$here"
check yamllint "$bin/yamllint" --strict -c .yamllint.yaml .
check compose "$bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml
check definitions "$bin/check-jsonschema" \
  --schemafile rabbitmq/definitions.schema.json rabbitmq/definitions.json
check kubernetes "$bin/kubernetes-validate" --strict --quiet k8s/*.yaml
check hadolint "$bin/hadolint" --no-color --failure-threshold style Dockerfile
check enabled_plugins grep -Eq '^\[[a-z_]+(,[a-z_]+)*\]\.$' rabbitmq/enabled_plugins
check hub.toml env OMNIHUB_BROKER__URL=amqp://u:p@rabbitmq:5672/ \
  OMNIHUB_STORE__URL=postgresql://u:p@postgres:5432/omnihub \
  OMNIHUB_ADMIN_TOKEN=lint-placeholder-token \
  OMNIHUB_PRIVACY__SUPPRESSION_SALT=lint-placeholder-salt \
  "$bin/python" -c 'import sys; from hub.config import load_config; load_config(sys.argv[1])' \
  hub.toml

if ((failed)); then
  echo "deploy/lint.sh: $failed check(s) failed" >&2
else
  echo "deploy/lint.sh: all checks passed"
fi
exit "$failed"
