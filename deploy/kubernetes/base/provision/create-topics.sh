#!/bin/sh
# Creates the project's topics and their dead-letter topics (<topic>.dlt, one partition), prefixed with
# KAFKA_NAMESPACE, on KAFKA_BROKERS; grows a topic that has fewer partitions than asked (Kafka cannot shrink
# one). Safe to rerun. Runs in the apache/kafka image: the Job provision-topics and compose's kafka-init.
# KAFKA_TOPICS (the CLI) and TOPICS_FILE (the catalogue) default to the image's CLI and topics.tsv beside this.
set -eu
kafka_topics="${KAFKA_TOPICS:-/opt/kafka/bin/kafka-topics.sh}"
catalogue="${TOPICS_FILE:-$(dirname "$0")/topics.tsv}"
bootstrap="${KAFKA_BROKERS:?KAFKA_BROKERS is required}"
prefix="${KAFKA_NAMESPACE:-}"
replication="${TOPIC_REPLICATION_FACTOR:-1}"

# One describe for all topics: each CLI call starts a JVM.
existing="$("${kafka_topics}" --bootstrap-server "${bootstrap}" --describe \
  | sed -n 's/^Topic: *\([^[:space:]]*\).*PartitionCount: *\([0-9]*\).*/\1 \2/p')"

ensure() { # <topic> <partitions>
  current="$(printf '%s\n' "${existing}" | awk -v t="$1" '$1 == t { print $2 }')"
  if [ -z "${current}" ]; then
    "${kafka_topics}" --bootstrap-server "${bootstrap}" --create --if-not-exists --topic "$1" \
      --partitions "$2" --replication-factor "${replication}"
  elif [ "${current}" -lt "$2" ]; then
    "${kafka_topics}" --bootstrap-server "${bootstrap}" --alter --topic "$1" --partitions "$2"
    echo "Grew topic $1 from ${current} to $2 partitions."
  else
    echo "Topic $1 has ${current} partitions."
  fi
}

grep -v '^#' "${catalogue}" | while IFS="$(printf '\t')" read -r topic partitions; do
  [ -n "${topic}" ] || continue
  case "${partitions}" in
    '' | *[!0-9]*) echo "${catalogue}: '${topic}' needs a partition count after a tab" >&2; exit 1 ;;
  esac
  ensure "${prefix}${topic}" "${partitions}"
  ensure "${prefix}${topic}.dlt" 1
done
