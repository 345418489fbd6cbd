#!/usr/bin/env bash
# Descarga un modelo con `ollama pull MODELO` (muestra el progreso). El servidor debe estar en
# marcha (scripts/ollama_start.sh). Respeta OLLAMA_HOST.
set -euo pipefail
# shellcheck source=scripts/ollama_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/ollama_common.sh"

if [[ $# -ne 1 || -z "$1" ]]; then
  echo "Uso: scripts/ollama_pull.sh MODELO   (p. ej. llama3.2:1b; sin conexión: tiny)" >&2
  exit 2
fi
model="$1"
if ! command -v ollama >/dev/null 2>&1; then
  echo "Error: ollama no está instalado: scripts/ollama_install.sh" >&2
  exit 1
fi
if ! version="$(ollama_version)"; then
  echo "Error: no hay ningún servidor de Ollama en $(ollama_url): arráncalo con scripts/ollama_start.sh" >&2
  exit 1
fi
if is_offline_version "$version"; then
  echo "Servidor local del kit (sin conexión, versión $version): «pull» fabrica el modelo con la forja."
fi
echo "ollama pull $model"
ollama pull "$model"
echo "Modelo $model listo en $(ollama_url)."
