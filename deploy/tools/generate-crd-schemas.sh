#!/usr/bin/env bash
# Regenerates the CRD schemas in deploy/schemas from released inputs (see its README).
# Needs Java 17 + Maven (Strimzi's generator) and Go (controller-gen). Work files go to
# .local/crd-gen; the Maven and Go caches stay under .local/ too.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.local/crd-gen"
OUT="$ROOT/deploy/schemas"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
STRIMZI=0.45.0
PROM_OPERATOR=v0.86.2
KEDA=v2.18.1
CONTROLLER_GEN=v0.19.0
mkdir -p "$WORK/strimzi" "$WORK/go"

# Strimzi: its own CRD generator over its released API classes.
cat > "$WORK/strimzi/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>strimzi-crds</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>io.strimzi</groupId><artifactId>api</artifactId><version>$STRIMZI</version></dependency>
    <dependency><groupId>io.strimzi</groupId><artifactId>crd-generator</artifactId><version>$STRIMZI</version></dependency>
  </dependencies>
</project>
POM
(cd "$WORK/strimzi" && mvn -q -Dmaven.repo.local="$ROOT/.local/m2" \
    dependency:build-classpath -Dmdep.outputFile=cp.txt)
java -cp "$(cat "$WORK/strimzi/cp.txt")" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true --target-kube 1.16+ \
    --crd-api-version v1 --api-versions v1beta2 --storage-version v1beta2 --yaml \
    io.strimzi.api.kafka.model.kafka.Kafka="$WORK/strimzi/kafka.yaml" \
    io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$WORK/strimzi/kafkanodepool.yaml" \
    io.strimzi.api.kafka.model.topic.KafkaTopic="$WORK/strimzi/kafkatopic.yaml" \
    io.strimzi.api.kafka.model.user.KafkaUser="$WORK/strimzi/kafkauser.yaml"
"$PY" "$ROOT/deploy/tools/extract_crd_schema.py" "$WORK/strimzi/kafka.yaml" v1beta2 "$OUT/kafka.strimzi.io_kafka_v1beta2.json"
"$PY" "$ROOT/deploy/tools/extract_crd_schema.py" "$WORK/strimzi/kafkanodepool.yaml" v1beta2 "$OUT/kafka.strimzi.io_kafkanodepool_v1beta2.json"
"$PY" "$ROOT/deploy/tools/extract_crd_schema.py" "$WORK/strimzi/kafkatopic.yaml" v1beta2 "$OUT/kafka.strimzi.io_kafkatopic_v1beta2.json"
"$PY" "$ROOT/deploy/tools/extract_crd_schema.py" "$WORK/strimzi/kafkauser.yaml" v1beta2 "$OUT/kafka.strimzi.io_kafkauser_v1beta2.json"

# prometheus-operator and KEDA: controller-gen over their Go API packages.
export GOPATH="$ROOT/.local/go" GOCACHE="$ROOT/.local/go/cache" GOMODCACHE="$ROOT/.local/go/mod"
export GOBIN="$WORK/go/bin" GOFLAGS="-mod=mod -modcacherw -buildvcs=false"
cd "$WORK/go"
go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN"
[ -f go.mod ] || go mod init crdgen
printf 'package crdgen\n\nimport (\n\t_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"\n\t_ "github.com/kedacore/keda/v2/apis/keda/v1alpha1"\n)\n' > tools.go
go get "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring@$PROM_OPERATOR" "github.com/kedacore/keda/v2@$KEDA"
go mod tidy
bin/controller-gen crd:crdVersions=v1,allowDangerousTypes=true \
    paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:dir=out/monitoring
bin/controller-gen crd:crdVersions=v1 paths=github.com/kedacore/keda/v2/apis/keda/v1alpha1 output:crd:dir=out/keda
for kind in servicemonitor podmonitor prometheusrule; do
    "$PY" "$ROOT/deploy/tools/extract_crd_schema.py" "out/monitoring/monitoring.coreos.com_${kind}s.yaml" v1 \
        "$OUT/monitoring.coreos.com_${kind}_v1.json"
done
"$PY" "$ROOT/deploy/tools/extract_crd_schema.py" out/keda/keda.sh_scaledobjects.yaml v1alpha1 "$OUT/keda.sh_scaledobject_v1alpha1.json"
echo "schemas written to $OUT"
