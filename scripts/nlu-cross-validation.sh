#!/usr/bin/env bash
# NLU tuning: k-fold cross-validation of config.yml and of each variant in docs/nlu-variants/,
# on the training data, with the embedded Duckling up. Prints intent macro-F1 per config; the
# reports stay in results/cv/<name>/. Slow on purpose (one training per fold): not part of CI.
#   scripts/nlu-cross-validation.sh [folds [config ...]]   (default: 3 folds, config.yml and every variant)
set -euo pipefail
cd "$(dirname "$0")/.."
folds=${1:-3}
shift $(( $# > 0 ? 1 : 0 ))
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(config.yml docs/nlu-variants/*.yml)
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
py=.venv/bin/python
mkdir -p results/cv
for config in "${configs[@]}"; do
  name=$(basename "$config" .yml)
  out=results/cv/$name
  start=$(date +%s)
  $py -m devtools.stack exec --with duckling -- \
    $py -m connectors.launch rasa test nlu --nlu data/nlu --config "$config" \
      --cross-validation --folds "$folds" --out "$out" > "$out.log" 2>&1 || { echo "$name: failed, see $out.log"; continue; }
  $py - "$name" "$out" "$(( $(date +%s) - start ))" <<'PY'
import json, sys
name, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3]
report = json.load(open(f"{out}/intent_report.json"))
m = report["macro avg"]
print(f"{name:<24} intent macro-F1 {m['f1-score']:.3f}  accuracy {report['accuracy']:.3f}  ({seconds} s)")
PY
done
